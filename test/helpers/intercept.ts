/** A driver seen through a hook on its puts, for tests that count or fail them. */
import { type Driver, isStaging } from "../../src/driver.ts";

/**
 * `driver`, with `before(key)` run ahead of every put it is asked for,
 * staged ones (the local store's directory Saves) included. A hook that
 * throws fails that put, as the real driver's failure would.
 */
export function withPutHook(driver: Driver, before: (key: string) => void): Driver {
  const stager = isStaging(driver) ? driver : undefined;
  return Object.assign(
    Object.create(driver) as Driver,
    {
      put: async (...args: Parameters<Driver["put"]>) => {
        before(args[0]);
        return driver.put(...args);
      },
    },
    stager
      ? {
          stage: () => {
            const staged = stager.stage();
            return {
              ...staged,
              put: async (...args: Parameters<Driver["put"]>) => {
                before(args[0]);
                return staged.put(...args);
              },
            };
          },
        }
      : {},
  );
}
