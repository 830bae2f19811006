;; The words of the Windows JSON kind probe (json-kind.ts), found in one line 16 bytes at a time
;; with WebAssembly SIMD: the `"EventID"` key and the exclusions (`"winlog"`, `"SyslogMessage"`,
;; `"event_simpleName"`, and `\u004`..`\u007`). Vector compares find the positions where a quote
;; is followed by `Ev`, `wi`, `Sy` or `ev`, or a backslash by `u0`; only those are compared whole.
;; Exact bytes, no case folding: the JSON shapes read keys as written.
;;
;; Memory holds three i32 of results at 0, then the line at $at, followed by at least 32 zero
;; bytes (so no word runs past its end). `scan` looks at the positions [$at, $end) and writes: how
;; many times the key occurs (0, 1, or 2 for two or more), the offset just past its first
;; occurrence (-1 when none), and 1 when some exclusion occurs, else 0.
;;
;; `members` reads the line left there (json-payload.ts), its strings 16 bytes at a time.
(module
  (memory (export "memory") 1)
  (global $keys (mut i32) (i32.const 0))
  (global $keyEnd (mut i32) (i32.const -1))
  (global $excluded (mut i32) (i32.const 0))

  ;; the word starting at $q, if any
  (func $check (param $q i32)
    (local $w i64)
    (if (i32.eq (i32.load8_u (local.get $q)) (i32.const 0x22))
      (then
        (local.set $w (i64.load (i32.add (local.get $q) (i32.const 1))))
        ;; EventID" (key)
        (if (i64.eq (local.get $w) (i64.const 0x224449746e657645))
          (then
            (if (i32.eqz (global.get $keys)) (then (global.set $keyEnd (i32.add (local.get $q) (i32.const 9)))))
            (if (i32.lt_u (global.get $keys) (i32.const 2)) (then (global.set $keys (i32.add (global.get $keys) (i32.const 1)))))
            (return)))
        ;; winlog"
        (if (i64.eq (i64.and (local.get $w) (i64.const 0x00ffffffffffffff)) (i64.const 0x0022676f6c6e6977))
          (then (global.set $excluded (i32.const 1)) (return)))
        ;; SyslogMe ssage"
        (if (i32.and
              (i64.eq (local.get $w) (i64.const 0x654d676f6c737953))
              (i64.eq (i64.and (i64.load (i32.add (local.get $q) (i32.const 9))) (i64.const 0x0000ffffffffffff)) (i64.const 0x0000226567617373)))
          (then (global.set $excluded (i32.const 1)) (return)))
        ;; event_si mpleName "
        (if (i32.and
              (i64.eq (local.get $w) (i64.const 0x69735f746e657665))
              (i32.and
                (i64.eq (i64.load (i32.add (local.get $q) (i32.const 9))) (i64.const 0x656d614e656c706d))
                (i32.eq (i32.load8_u (i32.add (local.get $q) (i32.const 17))) (i32.const 0x22))))
          (then (global.set $excluded (i32.const 1))))
        (return)))
    ;; \u004 .. \u007
    (if (i32.and
          (i32.eq (i32.load (local.get $q)) (i32.const 0x3030755c))
          (i32.eq (i32.and (i32.load8_u (i32.add (local.get $q) (i32.const 4))) (i32.const 0xfc)) (i32.const 0x34)))
      (then (global.set $excluded (i32.const 1)))))

  (func (export "scan") (param $at i32) (param $end i32)
    (local $p i32) (local $v v128) (local $next v128) (local $second v128) (local $candidates i32)
    (global.set $keys (i32.const 0))
    (global.set $keyEnd (i32.const -1))
    (global.set $excluded (i32.const 0))
    (local.set $p (local.get $at))
    (block $vectors
      (loop $block
        (br_if $vectors (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $next (v128.load (i32.add (local.get $p) (i32.const 1))))
        (local.set $second (v128.load (i32.add (local.get $p) (i32.const 2))))
        (local.set $candidates (i8x16.bitmask (v128.or
          (v128.and
            (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x22)))
            (v128.or
              (v128.or
                ;; Ev, ev
                (v128.and
                  (v128.or (i8x16.eq (local.get $next) (i8x16.splat (i32.const 0x45))) (i8x16.eq (local.get $next) (i8x16.splat (i32.const 0x65))))
                  (i8x16.eq (local.get $second) (i8x16.splat (i32.const 0x76))))
                ;; wi
                (v128.and (i8x16.eq (local.get $next) (i8x16.splat (i32.const 0x77))) (i8x16.eq (local.get $second) (i8x16.splat (i32.const 0x69)))))
              ;; Sy
              (v128.and (i8x16.eq (local.get $next) (i8x16.splat (i32.const 0x53))) (i8x16.eq (local.get $second) (i8x16.splat (i32.const 0x79))))))
          ;; \u0
          (v128.and
            (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x5c)))
            (v128.and (i8x16.eq (local.get $next) (i8x16.splat (i32.const 0x75))) (i8x16.eq (local.get $second) (i8x16.splat (i32.const 0x30))))))))
        (block $none
          (loop $each
            (br_if $none (i32.eqz (local.get $candidates)))
            (call $check (i32.add (local.get $p) (i32.ctz (local.get $candidates))))
            (local.set $candidates (i32.and (local.get $candidates) (i32.sub (local.get $candidates) (i32.const 1))))
            (br $each)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $block)))
    ;; the last positions, one by one
    (block $tail
      (loop $rest
        (br_if $tail (i32.ge_u (local.get $p) (local.get $end)))
        (call $check (local.get $p))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $rest)))
    (i32.store (i32.const 0) (global.get $keys))
    (i32.store (i32.const 4) (global.get $keyEnd))
    (i32.store (i32.const 8) (global.get $excluded)))
  ;; The members of the line at [$at, $end) (the 32 zero bytes after it in place), as JSON delimits
  ;; its strings (a quote ends one unless a backslash escapes it) and a string followed by `:`
  ;; (after any whitespace) is a key: four i32 per member at $out, the offsets where its key's
  ;; characters start and end, then where its value's start and end when the value is a string (the
  ;; end negated when the string holds an escape), else -1. Returns how many, or -1 when the line
  ;; holds more than $max members, an unterminated string, or other than one `{` outside its strings.
  (func $isSpace (param $c i32) (result i32)
    (i32.or
      (i32.or (i32.eq (local.get $c) (i32.const 0x20)) (i32.eq (local.get $c) (i32.const 0x09)))
      (i32.or (i32.eq (local.get $c) (i32.const 0x0a)) (i32.eq (local.get $c) (i32.const 0x0d)))))

  (func (export "members") (param $at i32) (param $end i32) (param $out i32) (param $max i32) (result i32)
    (local $p i32) (local $c i32) (local $objects i32) (local $count i32) (local $valueSlot i32)
    (local $open i32) (local $q i32) (local $m i32) (local $escaped i32) (local $slot i32) (local $v v128)
    (local.set $p (local.get $at))
    (block $done
      (loop $bytes
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $p)))
        (if (i32.eq (local.get $c) (i32.const 0x22))
          (then
            (local.set $open (i32.add (local.get $p) (i32.const 1)))
            (local.set $q (local.get $open))
            (local.set $escaped (i32.const 0))
            ;; to the closing quote: 16 bytes at a time to the next quote or backslash
            (block $closed
              (loop $string
                (if (i32.ge_u (local.get $q) (local.get $end)) (then (return (i32.const -1))))
                (local.set $v (v128.load (local.get $q)))
                (local.set $m (i8x16.bitmask (v128.or
                  (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x22)))
                  (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x5c))))))
                (if (i32.eqz (local.get $m))
                  (then (local.set $q (i32.add (local.get $q) (i32.const 16))) (br $string)))
                (local.set $q (i32.add (local.get $q) (i32.ctz (local.get $m))))
                (if (i32.ge_u (local.get $q) (local.get $end)) (then (return (i32.const -1))))
                (br_if $closed (i32.eq (i32.load8_u (local.get $q)) (i32.const 0x22)))
                ;; a backslash: it and the character it escapes
                (local.set $escaped (i32.const 1))
                (local.set $q (i32.add (local.get $q) (i32.const 2)))
                (br $string)))
            (local.set $p (i32.add (local.get $q) (i32.const 1)))
            ;; the value of the member just read
            (if (local.get $valueSlot)
              (then
                (i32.store (local.get $valueSlot) (local.get $open))
                (i32.store (i32.add (local.get $valueSlot) (i32.const 4))
                  (select (i32.sub (i32.const 0) (local.get $q)) (local.get $q) (local.get $escaped)))
                (local.set $valueSlot (i32.const 0))
                (br $bytes)))
            ;; a key when a colon follows
            (loop $spaces
              (if (i32.lt_u (local.get $p) (local.get $end))
                (then (if (call $isSpace (i32.load8_u (local.get $p)))
                  (then (local.set $p (i32.add (local.get $p) (i32.const 1))) (br $spaces))))))
            (br_if $bytes (i32.ge_u (local.get $p) (local.get $end)))
            (br_if $bytes (i32.ne (i32.load8_u (local.get $p)) (i32.const 0x3a)))
            (if (i32.ge_u (local.get $count) (local.get $max)) (then (return (i32.const -1))))
            (local.set $slot (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 4))))
            (i32.store (local.get $slot) (local.get $open))
            (i32.store (i32.add (local.get $slot) (i32.const 4)) (local.get $q))
            (i32.store (i32.add (local.get $slot) (i32.const 8)) (i32.const -1))
            (local.set $count (i32.add (local.get $count) (i32.const 1)))
            (local.set $valueSlot (i32.add (local.get $slot) (i32.const 8)))
            ;; past the colon and the whitespace after it: the value's first byte comes next
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (loop $spaces
              (if (i32.lt_u (local.get $p) (local.get $end))
                (then (if (call $isSpace (i32.load8_u (local.get $p)))
                  (then (local.set $p (i32.add (local.get $p) (i32.const 1))) (br $spaces))))))
            (br $bytes)))
        (local.set $valueSlot (i32.const 0))
        (if (i32.eq (local.get $c) (i32.const 0x7b))
          (then
            (local.set $objects (i32.add (local.get $objects) (i32.const 1)))
            (if (i32.gt_u (local.get $objects) (i32.const 1)) (then (return (i32.const -1))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $bytes)))
    (select (local.get $count) (i32.const -1) (i32.eq (local.get $objects) (i32.const 1))))
)
