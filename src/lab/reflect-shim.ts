/**
 * The few `Reflect` metadata functions that tsyringe (a dependency of @peculiar/x509) insists on
 * at load time. The full `reflect-metadata` polyfill would be one more runtime dependency for a
 * feature nothing here uses: tsyringe only stores constructor parameter tokens with it. Installs
 * nothing when a real polyfill is already present.
 */
type MetadataMap = Map<unknown, unknown>;

const store = new WeakMap<object, Map<PropertyKey | undefined, MetadataMap>>();

function own(target: object, property: PropertyKey | undefined, create: boolean): MetadataMap | undefined {
  let byProperty = store.get(target);
  if (!byProperty) {
    if (!create) return undefined;
    byProperty = new Map();
    store.set(target, byProperty);
  }
  let map = byProperty.get(property);
  if (!map && create) {
    map = new Map();
    byProperty.set(property, map);
  }
  return map;
}

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getMetadata !== 'function') {
  reflect.defineMetadata = (key: unknown, value: unknown, target: object, property?: PropertyKey) => {
    own(target, property, true)?.set(key, value);
  };
  reflect.getOwnMetadata = (key: unknown, target: object, property?: PropertyKey) =>
    own(target, property, false)?.get(key);
  reflect.hasOwnMetadata = (key: unknown, target: object, property?: PropertyKey) =>
    own(target, property, false)?.has(key) ?? false;
  reflect.getMetadata = (key: unknown, target: object, property?: PropertyKey) => {
    // Metadata is inherited along the prototype chain, as in reflect-metadata.
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
      const map = own(t, property, false);
      if (map?.has(key)) return map.get(key);
    }
    return undefined;
  };
}

export {};
