;; JSON string tokens of an HEC body, 16 bytes at a time with WebAssembly SIMD. The envelope
;; scanner (hec-scan.ts) used to walk each string byte by byte looking up a class table; a Sysmon
;; event's XML is some 2 KB of string with an escape every few dozen bytes (its quotes and path
;; separators), and that walk, with the one that undid the escapes, was a third of the HEC thread.
;;
;; Memory holds a window of the body at 0 (at most WINDOW bytes, then 16 bytes of room: a vector
;; load at any position before the window's end stays in memory) and, from OUT, room for one
;; token's text (written 16 bytes at a time, so 16 bytes of room past it too). The caller keeps
;; both offsets (json-strings.ts).
(module
  (memory (export "memory") 33)

  ;; the value of a hex digit, or -1
  (func $hexValue (param $c i32) (result i32)
    (if (i32.le_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 9)) (then (return (i32.sub (local.get $c) (i32.const 0x30)))))
    (if (i32.le_u (i32.sub (local.get $c) (i32.const 0x61)) (i32.const 5)) (then (return (i32.sub (local.get $c) (i32.const 0x57)))))
    (if (i32.le_u (i32.sub (local.get $c) (i32.const 0x41)) (i32.const 5)) (then (return (i32.sub (local.get $c) (i32.const 0x37)))))
    (i32.const -1))

  ;; the code unit of the four hex digits at $q, or -1
  (func $hex4 (param $q i32) (result i32)
    (local $unit i32) (local $k i32) (local $h i32)
    (loop $digit
      (local.set $h (call $hexValue (i32.load8_u (i32.add (local.get $q) (local.get $k)))))
      (if (i32.lt_s (local.get $h) (i32.const 0)) (then (return (i32.const -1))))
      (local.set $unit (i32.or (i32.shl (local.get $unit) (i32.const 4)) (local.get $h)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $digit (i32.lt_u (local.get $k) (i32.const 4))))
    (local.get $unit))

  ;; whether JSON.stringify writes the code unit $unit as this \u escape at $q: it does so only for
  ;; controls without a short form (\b \t \n \f \r), with lower-case hex digits
  (func $canonicalU (param $q i32) (param $unit i32) (result i32)
    (local $k i32) (local $c i32)
    (if (i32.ge_u (local.get $unit) (i32.const 0x20)) (then (return (i32.const 0))))
    (if (i32.or
          (i32.or (i32.eq (local.get $unit) (i32.const 0x08)) (i32.eq (local.get $unit) (i32.const 0x09)))
          (i32.or (i32.eq (local.get $unit) (i32.const 0x0a)) (i32.or (i32.eq (local.get $unit) (i32.const 0x0c)) (i32.eq (local.get $unit) (i32.const 0x0d)))))
      (then (return (i32.const 0))))
    (loop $digit
      (local.set $c (i32.load8_u (i32.add (local.get $q) (local.get $k))))
      (if (i32.le_u (i32.sub (local.get $c) (i32.const 0x41)) (i32.const 5)) (then (return (i32.const 0))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $digit (i32.lt_u (local.get $k) (i32.const 4))))
    (i32.const 1))

  ;; The string token whose opening quote is at $i, in a window of $n bytes: its end (after the
  ;; closing quote) shifted left by 3, or'ed with its shape (1: escapes at all, 2: escapes
  ;; JSON.stringify would not write, 4: a \u escape of a surrogate); -1 when it is not valid JSON
  ;; (a raw control character, an unknown escape, bad hex digits); -2 when the window ends first.
  (func (export "stringEnd") (param $i i32) (param $n i32) (result i32)
    (local $p i32) (local $v v128) (local $m i32) (local $c i32) (local $e i32) (local $shape i32) (local $unit i32)
    (local.set $p (i32.add (local.get $i) (i32.const 1)))
    (loop $token
      ;; the next quote, backslash or control character at or after $p
      (block $found
        (loop $block
          (br_if $found (i32.ge_u (local.get $p) (local.get $n)))
          (local.set $v (v128.load (local.get $p)))
          (local.set $m (i8x16.bitmask (v128.or
            (v128.or (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x22))) (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x5c))))
            (i8x16.lt_u (local.get $v) (i8x16.splat (i32.const 0x20))))))
          (if (local.get $m)
            (then
              (local.set $p (i32.add (local.get $p) (i32.ctz (local.get $m))))
              (br $found)))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br $block)))
      ;; what lies past the window (the room after it) decides nothing
      (if (i32.ge_u (local.get $p) (local.get $n)) (then (return (i32.const -2))))
      (local.set $c (i32.load8_u (local.get $p)))
      (if (i32.eq (local.get $c) (i32.const 0x22))
        (then (return (i32.or (i32.shl (i32.add (local.get $p) (i32.const 1)) (i32.const 3)) (local.get $shape)))))
      (if (i32.lt_u (local.get $c) (i32.const 0x20)) (then (return (i32.const -1))))
      ;; a backslash
      (local.set $shape (i32.or (local.get $shape) (i32.const 1)))
      (if (i32.ge_u (i32.add (local.get $p) (i32.const 1)) (local.get $n)) (then (return (i32.const -2))))
      (local.set $e (i32.load8_u offset=1 (local.get $p)))
      (if (i32.or
            (i32.or (i32.or (i32.eq (local.get $e) (i32.const 0x22)) (i32.eq (local.get $e) (i32.const 0x5c)))
                    (i32.or (i32.eq (local.get $e) (i32.const 0x62)) (i32.eq (local.get $e) (i32.const 0x66))))
            (i32.or (i32.or (i32.eq (local.get $e) (i32.const 0x6e)) (i32.eq (local.get $e) (i32.const 0x72)))
                    (i32.eq (local.get $e) (i32.const 0x74))))
        (then
          (local.set $p (i32.add (local.get $p) (i32.const 2)))
          (br $token)))
      (if (i32.eq (local.get $e) (i32.const 0x2f))
        (then
          (local.set $shape (i32.or (local.get $shape) (i32.const 2)))
          (local.set $p (i32.add (local.get $p) (i32.const 2)))
          (br $token)))
      (if (i32.ne (local.get $e) (i32.const 0x75)) (then (return (i32.const -1))))
      (if (i32.gt_u (i32.add (local.get $p) (i32.const 6)) (local.get $n)) (then (return (i32.const -2))))
      (local.set $unit (call $hex4 (i32.add (local.get $p) (i32.const 2))))
      (if (i32.lt_s (local.get $unit) (i32.const 0)) (then (return (i32.const -1))))
      (if (i32.le_u (i32.sub (local.get $unit) (i32.const 0xd800)) (i32.const 0x7ff))
        (then (local.set $shape (i32.or (local.get $shape) (i32.const 4)))))
      (if (i32.eqz (call $canonicalU (i32.add (local.get $p) (i32.const 2)) (local.get $unit)))
        (then (local.set $shape (i32.or (local.get $shape) (i32.const 2)))))
      (local.set $p (i32.add (local.get $p) (i32.const 6)))
      (br $token))
    (unreachable))

  ;; The text of the valid string token [$start, $end) (quotes included; no surrogate escapes, see
  ;; stringEnd) as UTF-8 at $out: the bytes between escapes copied 16 at a time, each escape undone.
  ;; Returns the text's length.
  (func (export "unescape") (param $start i32) (param $end i32) (param $out i32) (result i32)
    (local $p i32) (local $last i32) (local $o i32) (local $v v128) (local $m i32) (local $k i32) (local $e i32) (local $unit i32)
    (local.set $p (i32.add (local.get $start) (i32.const 1)))
    (local.set $last (i32.sub (local.get $end) (i32.const 1)))
    (local.set $o (local.get $out))
    (block $done
      (loop $run
        (br_if $done (i32.ge_u (local.get $p) (local.get $last)))
        (local.set $v (v128.load (local.get $p)))
        (v128.store (local.get $o) (local.get $v))
        (local.set $m (i8x16.bitmask (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x5c)))))
        (local.set $k (select (i32.ctz (local.get $m)) (i32.const 16) (local.get $m)))
        (if (i32.ge_u (i32.add (local.get $p) (local.get $k)) (local.get $last))
          (then
            (local.set $o (i32.add (local.get $o) (i32.sub (local.get $last) (local.get $p))))
            (br $done)))
        (local.set $p (i32.add (local.get $p) (local.get $k)))
        (local.set $o (i32.add (local.get $o) (local.get $k)))
        (br_if $run (i32.eq (local.get $k) (i32.const 16)))
        ;; an escape at $p
        (local.set $e (i32.load8_u offset=1 (local.get $p)))
        (if (i32.eq (local.get $e) (i32.const 0x75))
          (then
            (local.set $unit (call $hex4 (i32.add (local.get $p) (i32.const 2))))
            (if (i32.lt_u (local.get $unit) (i32.const 0x80))
              (then
                (i32.store8 (local.get $o) (local.get $unit))
                (local.set $o (i32.add (local.get $o) (i32.const 1))))
              (else
                (if (i32.lt_u (local.get $unit) (i32.const 0x800))
                  (then
                    (i32.store8 (local.get $o) (i32.or (i32.const 0xc0) (i32.shr_u (local.get $unit) (i32.const 6))))
                    (i32.store8 offset=1 (local.get $o) (i32.or (i32.const 0x80) (i32.and (local.get $unit) (i32.const 0x3f))))
                    (local.set $o (i32.add (local.get $o) (i32.const 2))))
                  (else
                    (i32.store8 (local.get $o) (i32.or (i32.const 0xe0) (i32.shr_u (local.get $unit) (i32.const 12))))
                    (i32.store8 offset=1 (local.get $o) (i32.or (i32.const 0x80) (i32.and (i32.shr_u (local.get $unit) (i32.const 6)) (i32.const 0x3f))))
                    (i32.store8 offset=2 (local.get $o) (i32.or (i32.const 0x80) (i32.and (local.get $unit) (i32.const 0x3f))))
                    (local.set $o (i32.add (local.get $o) (i32.const 3)))))))
            (local.set $p (i32.add (local.get $p) (i32.const 6)))
            (br $run)))
        ;; a short escape: \b \f \n \r \t, else the character itself (\" \\ \/)
        (i32.store8 (local.get $o)
          (select (i32.const 0x08) (select (i32.const 0x0c) (select (i32.const 0x0a) (select (i32.const 0x0d) (select (i32.const 0x09) (local.get $e)
            (i32.eq (local.get $e) (i32.const 0x74))) (i32.eq (local.get $e) (i32.const 0x72))) (i32.eq (local.get $e) (i32.const 0x6e)))
            (i32.eq (local.get $e) (i32.const 0x66))) (i32.eq (local.get $e) (i32.const 0x62))))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 2)))
        (br $run)))
    (i32.sub (local.get $o) (local.get $out)))
)
