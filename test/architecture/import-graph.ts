import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** One import between two files of `src/`, paths relative to the repository root (`src/engine/risk.ts`). */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
}

/**
 * Every relative import between the TypeScript files under `root/src`: static, dynamic, re-exports
 * and type-only imports alike (a type-only import still makes one file's meaning depend on
 * another's, so it counts for cycles and for layering).
 */
export function importEdges(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(path.join(root, 'src'))) {
    const from = path.relative(root, file).split(path.sep).join('/');
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue; // a package or node: builtin
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), fileName)).replace(/\.js$/, '.ts');
      edges.push({ from, to: target });
    }
  }
  return edges;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The stage folder of a file under `src/`: its first folder (`src/sources/evtx/tree.ts` → `sources`). */
export function stageOf(file: string): string {
  const parts = file.split('/');
  return parts.length > 2 ? parts[1] : '(src root)';
}

/**
 * The strongly connected components with more than one node (or a node importing itself): each is
 * one or more import cycles. Tarjan's algorithm, iterative so a deep graph cannot overflow the stack.
 */
export function cyclicComponents(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) {
    if (!next.has(from)) next.set(from, []);
    if (!next.has(to)) next.set(to, []);
    next.get(from)!.push(to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const start of next.keys()) {
    if (index.has(start)) continue;
    const work: Array<{ node: string; child: number }> = [{ node: start, child: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const children = next.get(frame.node)!;
      if (frame.child < children.length) {
        const child = children[frame.child++];
        if (!index.has(child)) {
          index.set(child, counter);
          low.set(child, counter++);
          stack.push(child);
          onStack.add(child);
          work.push({ node: child, child: 0 });
        } else if (onStack.has(child)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(child)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        const selfLoop = children.includes(frame.node);
        if (component.length > 1 || selfLoop) components.push(component.sort());
      }
    }
  }
  return components;
}

/** One shortest cycle through `node` inside the graph, as a readable path `a → b → a` (for messages). */
export function cycleThrough(edges: readonly ImportEdge[], node: string): string {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const cameFrom = new Map<string, string>();
  const queue = [node];
  while (queue.length > 0) {
    const current = queue.shift()!;
    for (const child of next.get(current) ?? []) {
      if (child === node) {
        const route = [node];
        for (let at = current; at !== node; at = cameFrom.get(at)!) route.splice(1, 0, at);
        return [...route, node].join(' → ');
      }
      if (!cameFrom.has(child)) {
        cameFrom.set(child, current);
        queue.push(child);
      }
    }
  }
  return node;
}
