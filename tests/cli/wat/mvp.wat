;; The MVP module language: every field, names in every index space, folded and flat code.
(module $mvp
  (type $binop (func (param i32 i32) (result i32)))
  (import "env" "print" (func $print (param i32)))
  (import "env" "table" (table $imported 1 funcref))
  (import "env" "g" (global $g0 i32))
  (memory $mem (export "memory") 1 2)
  (table $t 4 funcref)
  (global $counter (mut i32) (i32.const 0))
  (global $limit i64 (i64.const 0x7fff_ffff_ffff))
  (func $add (type $binop) (i32.add (local.get 0) (local.get 1)))
  (func $fac (export "fac") (param $n i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (i64.const 1))
      (else (i64.mul (local.get $n) (call $fac (i64.sub (local.get $n) (i64.const 1)))))))
  (func $loop (param $n i32) (result i32) (local $i i32) (local $acc f64)
    block $done
      loop $next
        local.get $i
        local.get $n
        i32.ge_u
        br_if $done
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $next
      end $next
    end $done
    (f64.store offset=8 align=4 (i32.const 0) (f64.const -0x1.8p3))
    (i32.load16_s offset=2 (i32.const 0))
    (call_indirect $t (type $binop) (i32.const 1) (i32.const 2) (i32.const 0))
    drop)
  (func $switch (param i32) (result i32)
    (block $a (block $b (block $c
      (br_table $a $b $c (local.get 0)))
      (return (i32.const 1)))
      (return (i32.const 2)))
    (select (i32.const 3) (i32.const 4) (local.get 0)))
  (func $start (global.set $counter (i32.const 1)) (call $print (global.get $g0)))
  (start $start)
  (elem (table $t) (i32.const 0) func $add $fac)
  (elem (i32.const 2) $loop $switch)
  (data (i32.const 16) "hello" "\00\ff\u{1F600}")
  (export "add" (func $add))
  (export "t" (table $t))
  (export "limit" (global $limit)))
