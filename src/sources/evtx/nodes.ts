/**
 * The parsed form of BinXML: a template's skeleton of nodes, whose substitution nodes are value
 * slots, and a template instance holding one record's values. binxml.ts builds it; the renderers
 * (tree, fields, JSON lines) read it.
 */
import { decodeValue } from './values.js';

export const N_ELEMENT = 1;
export const N_TEXT = 2;
export const N_SUBST = 3;
export const N_INSTANCE = 4;
export const N_VALUE = 5;
export const N_CHARREF = 6;
export const N_ENTITY = 7;
export const N_CDATA = 8;
export const N_PI = 9;

export interface ElementNode { k: 1; name: string; attrs: AttrNode[]; children: Node[] }
export interface AttrNode { name: string; value: Node[] }
export interface TextNode { k: 2; text: string }
export interface SubstNode { k: 3; index: number; type: number; optional: boolean }
/**
 * A template instance: the template's skeleton (null when missing/corrupt) plus this record's values.
 * Scalar values are decoded lazily (read them with `valueOf`): most System values are never shown.
 */
export interface InstanceNode { k: 4; template: Template | null; types: number[]; values: unknown[]; offs: number[]; sizes: number[]; buf: Buffer }

/** the value slot of a scalar not decoded yet (see valueOf) */
export const LAZY = Symbol('lazy');

/** Value `i` of an instance, decoded on first use. */
export function valueOf(inst: InstanceNode, i: number): unknown {
  let v = inst.values[i];
  if (v === LAZY) {
    v = decodeValue(inst.buf, inst.offs[i], inst.sizes[i], inst.types[i]);
    inst.values[i] = v;
  }
  return v;
}
export interface ValueNode { k: 5; type: number; value: unknown }
export interface CharRefNode { k: 6; code: number }
export interface EntityNode { k: 7; name: string }
export interface CDataNode { k: 8; text: string }
export interface PINode { k: 9; target: string; data: string }
export type Node =
  | ElementNode | TextNode | SubstNode | InstanceNode | ValueNode | CharRefNode | EntityNode | CDataNode | PINode;

export interface Template {
  offset: number;
  guid: string;
  nodes: Node[];
}
