;; The per-byte loop of NeedleAutomaton, in WebAssembly: V8 runs it about 1.6x faster than the
;; same loop in JavaScript (no bounds check per load, states kept in registers).
;;
;; Memory holds the transition table at 0, then four i32 chain states at $out, then the input. A
;; state is the byte offset of its row; a state that ends a needle is stored as -(row + 1). Both
;; loops stop at the first such state and store every chain's state at $out, so that the caller
;; can check the needle and resume at the next byte.
;;
;; Two forms of row. run1 and run4: one i32 entry per input byte value (1 KB rows), for small
;; tables, which stay in cache. run1c and run4c: one entry per byte class (the bytes no needle
;; holds are one class, a letter's two cases another), through a table at $classes of 256 u16
;; (per input byte, the byte offset of its class's entry in a row): SigmaHQ's large automata get
;; ~4x smaller rows, so ~4x less fresh memory to fault in when restored and less cache to miss
;; when scanning. The class lookup depends only on the input, not on the state before, so it stays
;; off each chain's chain of dependent loads; it still costs a small table ~25% (measured), hence
;; the two forms.
(module
  (memory (export "memory") 1)

  ;; One chain over [$at, $end): the position of the byte that reached an accepting state, or $end.
  (func (export "run1") (param $state i32) (param $at i32) (param $end i32) (param $out i32) (result i32)
    (block $stop
      (loop $next
        (br_if $stop (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $state (i32.load (i32.add (local.get $state) (i32.shl (i32.load8_u (local.get $at)) (i32.const 2)))))
        (br_if $stop (i32.lt_s (local.get $state) (i32.const 0)))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $next)))
    (i32.store (local.get $out) (local.get $state))
    (local.get $at))

  ;; Four chains in step at $at, $at + $second, $at + $third and $at + $fourth, until $at reaches
  ;; $limit or some chain accepts: the position of the first chain then, or $limit. Independent
  ;; chains overlap the latency of each other's table loads.
  (func (export "run4")
    (param $a i32) (param $b i32) (param $c i32) (param $d i32)
    (param $at i32) (param $limit i32) (param $second i32) (param $third i32) (param $fourth i32)
    (param $out i32) (result i32)
    (block $stop
      (loop $next
        (br_if $stop (i32.ge_u (local.get $at) (local.get $limit)))
        (local.set $a (i32.load (i32.add (local.get $a) (i32.shl (i32.load8_u (local.get $at)) (i32.const 2)))))
        (local.set $b (i32.load (i32.add (local.get $b) (i32.shl (i32.load8_u (i32.add (local.get $at) (local.get $second))) (i32.const 2)))))
        (local.set $c (i32.load (i32.add (local.get $c) (i32.shl (i32.load8_u (i32.add (local.get $at) (local.get $third))) (i32.const 2)))))
        (local.set $d (i32.load (i32.add (local.get $d) (i32.shl (i32.load8_u (i32.add (local.get $at) (local.get $fourth))) (i32.const 2)))))
        (br_if $stop (i32.lt_s (i32.or (i32.or (local.get $a) (local.get $b)) (i32.or (local.get $c) (local.get $d))) (i32.const 0)))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $next)))
    (i32.store offset=0 (local.get $out) (local.get $a))
    (i32.store offset=4 (local.get $out) (local.get $b))
    (i32.store offset=8 (local.get $out) (local.get $c))
    (i32.store offset=12 (local.get $out) (local.get $d))
    (local.get $at))

  ;; run1 and run4 over rows of byte classes (see above).
  ;; One chain over [$at, $end): the position of the byte that reached an accepting state, or $end.
  (func (export "run1c") (param $state i32) (param $at i32) (param $end i32) (param $out i32) (param $classes i32) (result i32)
    (block $stop
      (loop $next
        (br_if $stop (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $state (i32.load (i32.add (local.get $state) (i32.load16_u (i32.add (local.get $classes) (i32.shl (i32.load8_u (local.get $at)) (i32.const 1)))))))
        (br_if $stop (i32.lt_s (local.get $state) (i32.const 0)))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $next)))
    (i32.store (local.get $out) (local.get $state))
    (local.get $at))

  ;; Four chains in step at $at, $at + $second, $at + $third and $at + $fourth, until $at reaches
  ;; $limit or some chain accepts: the position of the first chain then, or $limit. Independent
  ;; chains overlap the latency of each other's table loads.
  (func (export "run4c")
    (param $a i32) (param $b i32) (param $c i32) (param $d i32)
    (param $at i32) (param $limit i32) (param $second i32) (param $third i32) (param $fourth i32)
    (param $out i32) (param $classes i32) (result i32)
    (block $stop
      (loop $next
        (br_if $stop (i32.ge_u (local.get $at) (local.get $limit)))
        (local.set $a (i32.load (i32.add (local.get $a) (i32.load16_u (i32.add (local.get $classes) (i32.shl (i32.load8_u (local.get $at)) (i32.const 1)))))))
        (local.set $b (i32.load (i32.add (local.get $b) (i32.load16_u (i32.add (local.get $classes) (i32.shl (i32.load8_u (i32.add (local.get $at) (local.get $second))) (i32.const 1)))))))
        (local.set $c (i32.load (i32.add (local.get $c) (i32.load16_u (i32.add (local.get $classes) (i32.shl (i32.load8_u (i32.add (local.get $at) (local.get $third))) (i32.const 1)))))))
        (local.set $d (i32.load (i32.add (local.get $d) (i32.load16_u (i32.add (local.get $classes) (i32.shl (i32.load8_u (i32.add (local.get $at) (local.get $fourth))) (i32.const 1)))))))
        (br_if $stop (i32.lt_s (i32.or (i32.or (local.get $a) (local.get $b)) (i32.or (local.get $c) (local.get $d))) (i32.const 0)))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $next)))
    (i32.store offset=0 (local.get $out) (local.get $a))
    (i32.store offset=4 (local.get $out) (local.get $b))
    (i32.store offset=8 (local.get $out) (local.get $c))
    (i32.store offset=12 (local.get $out) (local.get $d))
    (local.get $at))

  ;; Writes a compiled automaton's table (zeros before) from its CompiledNeedles form (automaton.ts),
  ;; as JavaScript once did, cold, in the interpreter, at every start of every thread. At
  ;; $order: $pairs (state, failure state) i32 pairs, breadth-first; at $changes: per state, the
  ;; root first, the number of entries its row changes, then each (index in the row, entry). Each
  ;; state's row ($rowBytes) starts as a copy of its failure state's row, then takes its changes.
  (func $change (param $row i32) (param $at i32) (result i32)
    (local $end i32)
    (local.set $end (i32.add (i32.add (local.get $at) (i32.const 4)) (i32.shl (i32.load (local.get $at)) (i32.const 3))))
    (local.set $at (i32.add (local.get $at) (i32.const 4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (i32.store
          (i32.add (local.get $row) (i32.shl (i32.load (local.get $at)) (i32.const 2)))
          (i32.load offset=4 (local.get $at)))
        (local.set $at (i32.add (local.get $at) (i32.const 8)))
        (br $next)))
    (local.get $end))

  (func (export "restore") (param $order i32) (param $pairs i32) (param $changes i32) (param $rowBytes i32)
    (local $i i32) (local $row i32)
    (local.set $changes (call $change (i32.const 0) (local.get $changes)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $pairs)))
        (local.set $row (i32.mul (i32.load (local.get $order)) (local.get $rowBytes)))
        (memory.copy (local.get $row) (i32.mul (i32.load offset=4 (local.get $order)) (local.get $rowBytes)) (local.get $rowBytes))
        (local.set $changes (call $change (local.get $row) (local.get $changes)))
        (local.set $order (i32.add (local.get $order) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))
)
