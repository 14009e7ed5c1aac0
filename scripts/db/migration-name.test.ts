import { describe, expect, it } from "vitest";
import { orderedMigrationName } from "./migrations";

describe("orderedMigrationName", () => {
  it("keeps the engine's name when it sorts after every existing migration", () => {
    expect(orderedMigrationName("20261207135006_init", [])).toBe("20261207135006_init");
    expect(orderedMigrationName("20261207135007_b", ["20261207135006_a", "migration_lock.toml"])).toBe("20261207135007_b");
  });

  it("moves a name written in the same second as the newest, or before a newer one, just after it", () => {
    // "…_add_weight" < "…_init" by name: applied in that order, the second migration would come first.
    expect(orderedMigrationName("20261207135006_add_weight", ["20261207135006_init", "migration_lock.toml"])).toBe("20261207135007_add_weight");
    expect(orderedMigrationName("20261207135006_x", ["20261207100000_a", "20261207400000_b"])).toBe("20261207400001_x");
  });
});
