;; Case-insensitive search for ASCII needles in raw message bytes, with WebAssembly SIMD: the
;; pre-filter of `dsar find` (fold-search.ts) runs it over every message, without first turning
;; the bytes into a JavaScript string (that copy and its garbage cost more than the search).
;;
;; Folding is `byte | 0x20`: it maps A-Z onto a-z, so every ASCII case-insensitive match is also a
;; folded match; it also pairs a few other bytes (`@` with a backquote, control characters with
;; punctuation), which can only add false "maybe"s, never lose a match.
;;
;; Build: npm run build:wasm (wat2wasm, Debian package wabt), which writes fold-search.wasm.
(module
  (memory (export "memory") 1)

  ;; find(hay, len, nd, m): the first p in [0, len - m] where (hay[p + k] | 0x20) == nd[k] for
  ;; every k < m (nd is given folded), or -1. Candidates come from comparing the first and the
  ;; last needle byte at 64 positions at once: four vectors of 16, one test for all four (written
  ;; out: a helper function for one vector is not inlined and cost half the speed). The bytes
  ;; between are then compared one by one. Reads up to 64 bytes past hay + len: callers leave
  ;; that room in memory.
  (func (export "find") (param $hay i32) (param $len i32) (param $nd i32) (param $m i32) (result i32)
    (local $i i32) (local $end i32) (local $lastOff i32) (local $at i32) (local $atLast i32) (local $r i32)
    (local $first v128) (local $last v128) (local $fold v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (if (i32.or (i32.lt_s (local.get $m) (i32.const 1)) (i32.lt_s (local.get $len) (local.get $m)))
      (then (return (i32.const -1))))
    (local.set $end (i32.sub (local.get $len) (local.get $m)))
    (local.set $lastOff (i32.sub (local.get $m) (i32.const 1)))
    (local.set $first (i8x16.splat (i32.load8_u (local.get $nd))))
    (local.set $last (i8x16.splat (i32.load8_u (i32.add (local.get $nd) (local.get $lastOff)))))
    (local.set $fold (i8x16.splat (i32.const 0x20)))
    (block $done
      (loop $scan
        (br_if $done (i32.gt_s (local.get $i) (local.get $end)))
        (local.set $at (i32.add (local.get $hay) (local.get $i)))
        (local.set $atLast (i32.add (local.get $at) (local.get $lastOff)))
        (local.set $c0
          (v128.and
            (i8x16.eq (v128.or (v128.load offset=0 (local.get $at)) (local.get $fold)) (local.get $first))
            (i8x16.eq (v128.or (v128.load offset=0 (local.get $atLast)) (local.get $fold)) (local.get $last))))
        (local.set $c1
          (v128.and
            (i8x16.eq (v128.or (v128.load offset=16 (local.get $at)) (local.get $fold)) (local.get $first))
            (i8x16.eq (v128.or (v128.load offset=16 (local.get $atLast)) (local.get $fold)) (local.get $last))))
        (local.set $c2
          (v128.and
            (i8x16.eq (v128.or (v128.load offset=32 (local.get $at)) (local.get $fold)) (local.get $first))
            (i8x16.eq (v128.or (v128.load offset=32 (local.get $atLast)) (local.get $fold)) (local.get $last))))
        (local.set $c3
          (v128.and
            (i8x16.eq (v128.or (v128.load offset=48 (local.get $at)) (local.get $fold)) (local.get $first))
            (i8x16.eq (v128.or (v128.load offset=48 (local.get $atLast)) (local.get $fold)) (local.get $last))))
        (if (v128.any_true (v128.or (v128.or (local.get $c0) (local.get $c1)) (v128.or (local.get $c2) (local.get $c3))))
          (then
            ;; positions only grow from one vector to the next: the first past the end ends it
            (local.set $r (call $verify (local.get $hay) (local.get $i) (local.get $end) (i8x16.bitmask (local.get $c0)) (local.get $nd) (local.get $m)))
            (if (i32.ne (local.get $r) (i32.const -2)) (then (return (local.get $r))))
            (local.set $r (call $verify (local.get $hay) (i32.add (local.get $i) (i32.const 16)) (local.get $end) (i8x16.bitmask (local.get $c1)) (local.get $nd) (local.get $m)))
            (if (i32.ne (local.get $r) (i32.const -2)) (then (return (local.get $r))))
            (local.set $r (call $verify (local.get $hay) (i32.add (local.get $i) (i32.const 32)) (local.get $end) (i8x16.bitmask (local.get $c2)) (local.get $nd) (local.get $m)))
            (if (i32.ne (local.get $r) (i32.const -2)) (then (return (local.get $r))))
            (local.set $r (call $verify (local.get $hay) (i32.add (local.get $i) (i32.const 48)) (local.get $end) (i8x16.bitmask (local.get $c3)) (local.get $nd) (local.get $m)))
            (if (i32.ne (local.get $r) (i32.const -2)) (then (return (local.get $r))))))
        (local.set $i (i32.add (local.get $i) (i32.const 64)))
        (br $scan)))
    (i32.const -1))

  ;; The candidates of one vector (bit b of mask: position from + b) checked byte by byte: the
  ;; position of a match, -1 once a candidate lies past the last start (no match can follow),
  ;; or -2 when none matched.
  (func $verify (param $hay i32) (param $from i32) (param $end i32) (param $mask i32) (param $nd i32) (param $m i32) (result i32)
    (local $j i32) (local $k i32)
    (block $none
      (loop $bits
        (br_if $none (i32.eqz (local.get $mask)))
        (local.set $j (i32.add (local.get $from) (i32.ctz (local.get $mask))))
        (if (i32.gt_s (local.get $j) (local.get $end)) (then (return (i32.const -1))))
        (local.set $k (i32.const 1))
        (block $mismatch
          (loop $cmp
            (if (i32.ge_s (local.get $k) (i32.sub (local.get $m) (i32.const 1))) (then (return (local.get $j))))
            (br_if $mismatch
              (i32.ne
                (i32.or
                  (i32.load8_u (i32.add (i32.add (local.get $hay) (local.get $j)) (local.get $k)))
                  (i32.const 0x20))
                (i32.load8_u (i32.add (local.get $nd) (local.get $k)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $cmp)))
        (local.set $mask (i32.and (local.get $mask) (i32.sub (local.get $mask) (i32.const 1))))
        (br $bits)))
    (i32.const -2)))
