;; The event markers of a buffer of event XML, found 16 bytes at a time with WebAssembly SIMD:
;; each `<Event` followed by a name end (an event start) and each `</Event>` (an event end), with
;; the line breaks before it. XmlEventFramer used to find them with one Buffer.indexOf call per
;; `Event` (eight in a Sysmon event: EventID, EventRecordID, EventData and their end tags) and one
;; per line break; here vector compares find the few `<Eve` and `</Ev` worth a closer look.
;;
;; Memory holds the bytes at 0. `markers` scans the positions [0, $end), where the caller has put
;; at least 10 bytes more after $end (so a marker at any scanned position is decided), and writes
;; three i32 per marker at $out: its position, its kind (1 start, 2 end, 3 the start of an
;; `<EventData`, where the fields rules search begin) and the number of line
;; breaks (LF) before it; markers are at least 7 bytes apart, so $end / 7 + 1 of them fit. It
;; returns the number of markers.
(module
  (memory (export "memory") 1)

  ;; 1 when an event start tag begins at $q, 2 when an end tag does, 3 when `<EventData` does, else 0
  (func $kind (param $q i32) (result i32)
    (local $c i32)
    ;; "</Event>" as a little-endian i64
    (if (i64.eq (i64.load (local.get $q)) (i64.const 0x3e746e6576452f3c)) (then (return (i32.const 2))))
    ;; "<Even" "t" and a name end: space, tab, LF, CR, '>' or '/'
    (if (i32.eqz (i32.and
          (i32.eq (i32.load8_u (local.get $q)) (i32.const 0x3c))
          (i32.and
            (i32.eq (i32.load (i32.add (local.get $q) (i32.const 1))) (i32.const 0x6e657645))
            (i32.eq (i32.load8_u (i32.add (local.get $q) (i32.const 5))) (i32.const 0x74)))))
      (then (return (i32.const 0))))
    (local.set $c (i32.load8_u (i32.add (local.get $q) (i32.const 6))))
    (if (i32.eq (i32.load (i32.add (local.get $q) (i32.const 6))) (i32.const 0x61746144)) (then (return (i32.const 3))))
    (if (i32.or
          (i32.or (i32.eq (local.get $c) (i32.const 0x20)) (i32.eq (local.get $c) (i32.const 0x09)))
          (i32.or
            (i32.or (i32.eq (local.get $c) (i32.const 0x0a)) (i32.eq (local.get $c) (i32.const 0x0d)))
            (i32.or (i32.eq (local.get $c) (i32.const 0x3e)) (i32.eq (local.get $c) (i32.const 0x2f)))))
      (then (return (i32.const 1))))
    (i32.const 0))

  (func (export "markers") (param $end i32) (param $out i32) (result i32)
    (local $p i32) (local $v v128) (local $next v128) (local $second v128) (local $third v128) (local $candidates i32) (local $breaks i32)
    (local $bit i32) (local $q i32) (local $kind i32) (local $n i32) (local $lines i32)
    (block $done
      ;; 16 positions at a time: a candidate is `<Eve` or `</Ev`
      (block $vectors
        (loop $block
          (br_if $vectors (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
          (local.set $v (v128.load (local.get $p)))
          (local.set $next (v128.load (i32.add (local.get $p) (i32.const 1))))
          (local.set $second (v128.load (i32.add (local.get $p) (i32.const 2))))
          (local.set $third (v128.load (i32.add (local.get $p) (i32.const 3))))
          (local.set $candidates (i8x16.bitmask (v128.and
            (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x3c)))
            (v128.or
              (v128.and
                (i8x16.eq (local.get $next) (i8x16.splat (i32.const 0x45)))
                (v128.and (i8x16.eq (local.get $second) (i8x16.splat (i32.const 0x76))) (i8x16.eq (local.get $third) (i8x16.splat (i32.const 0x65)))))
              (v128.and
                (i8x16.eq (local.get $next) (i8x16.splat (i32.const 0x2f)))
                (v128.and (i8x16.eq (local.get $second) (i8x16.splat (i32.const 0x45))) (i8x16.eq (local.get $third) (i8x16.splat (i32.const 0x76)))))))))
          (local.set $breaks (i8x16.bitmask (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x0a)))))
          (block $none
            (loop $each
              (br_if $none (i32.eqz (local.get $candidates)))
              (local.set $bit (i32.ctz (local.get $candidates)))
              (local.set $q (i32.add (local.get $p) (local.get $bit)))
              (local.set $kind (call $kind (local.get $q)))
              (if (local.get $kind)
                (then
                  (i32.store offset=0 (local.get $out) (local.get $q))
                  (i32.store offset=4 (local.get $out) (local.get $kind))
                  (i32.store offset=8 (local.get $out) (i32.add (local.get $lines)
                    (i32.popcnt (i32.and (local.get $breaks) (i32.sub (i32.shl (i32.const 1) (local.get $bit)) (i32.const 1))))))
                  (local.set $out (i32.add (local.get $out) (i32.const 12)))
                  (local.set $n (i32.add (local.get $n) (i32.const 1)))))
              (local.set $candidates (i32.and (local.get $candidates) (i32.sub (local.get $candidates) (i32.const 1))))
              (br $each)))
          (local.set $lines (i32.add (local.get $lines) (i32.popcnt (local.get $breaks))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br $block)))
      ;; the last positions one at a time
      (loop $byte
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $kind (call $kind (local.get $p)))
        (if (local.get $kind)
          (then
            (i32.store offset=0 (local.get $out) (local.get $p))
            (i32.store offset=4 (local.get $out) (local.get $kind))
            (i32.store offset=8 (local.get $out) (local.get $lines))
            (local.set $out (i32.add (local.get $out) (i32.const 12)))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 0x0a)) (then (local.set $lines (i32.add (local.get $lines) (i32.const 1)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $byte)))
    (local.get $n))
)
