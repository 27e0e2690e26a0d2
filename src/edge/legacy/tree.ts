// A neutral tree both serializers understand: records keep their key order, lists know the
// element name each item gets in XML.

export type Tree = string | number | TreeRecord | TreeList;

export interface TreeRecord {
  type: 'record';
  fields: readonly (readonly [name: string, value: Tree])[];
}

export interface TreeList {
  type: 'list';
  /** XML element name of each item (`ip` in `<ips><ip>…</ip></ips>`); JSON ignores it. */
  item: string;
  items: readonly Tree[];
}

export const record = (...fields: (readonly [string, Tree])[]): TreeRecord => ({ type: 'record', fields });
export const list = (item: string, items: readonly Tree[]): TreeList => ({ type: 'list', item, items });
