;; Threads in scripts: `thread` runs its commands on a thread of its own, `wait` joins it.
;; Every thread imports the one shared memory of $Mem.

(module $Mem (memory (export "shared") 1 4 shared))
(register "mem" $Mem)

;; ---- message passing: data, then a flag; the reader sees the data once the flag ----
(thread $Writer (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 4 shared)
    (func (export "run")
      (i32.atomic.store (i32.const 16) (i32.const 42))
      (i32.atomic.store (i32.const 20) (i32.const 1))))
  (invoke "run"))

(thread $Reader (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 4 shared)
    (func (export "run") (result i32)
      (loop $spin (br_if $spin (i32.eqz (i32.atomic.load (i32.const 20)))))
      (i32.atomic.load (i32.const 16))))
  (assert_return (invoke "run") (i32.const 42)))

(wait $Writer)
(wait $Reader)

;; ---- counters: four threads add 1 twenty thousand times each ----
(module $Count
  (memory (import "mem" "shared") 1 4 shared)
  (func (export "add") (param $n i32)
    (loop $l
      (drop (i32.atomic.rmw.add (i32.const 64) (i32.const 1)))
      (drop (i64.atomic.rmw.add (i32.const 72) (i64.const 0x100000001)))
      (drop (i32.atomic.rmw16.add_u (i32.const 80) (i32.const 1)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  ;; a spin lock taken with cmpxchg guards a plain read-modify-write
  (func (export "locked") (param $n i32)
    (loop $l
      (loop $take (br_if $take (i32.atomic.rmw.cmpxchg (i32.const 96) (i32.const 0) (i32.const 1))))
      (i32.store (i32.const 100) (i32.add (i32.load (i32.const 100)) (i32.const 1)))
      (i32.atomic.store (i32.const 96) (i32.const 0))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "i32") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "i64") (param i32) (result i64) (i64.atomic.load (local.get 0))))

(thread $C1 (shared (module $Count)) (invoke $Count "add" (i32.const 20000)) (invoke $Count "locked" (i32.const 5000)))
(thread $C2 (shared (module $Count)) (invoke $Count "add" (i32.const 20000)) (invoke $Count "locked" (i32.const 5000)))
(thread $C3 (shared (module $Count)) (invoke $Count "add" (i32.const 20000)) (invoke $Count "locked" (i32.const 5000)))
(invoke $Count "add" (i32.const 20000))
(invoke $Count "locked" (i32.const 5000))
(wait $C1)
(wait $C2)
(wait $C3)
(assert_return (invoke $Count "i32" (i32.const 64)) (i32.const 80000))
(assert_return (invoke $Count "i64" (i32.const 72)) (i64.const 0x0001388000013880))
(assert_return (invoke $Count "i32" (i32.const 80)) (i32.const 14464)) ;; 80000 mod 65536
(assert_return (invoke $Count "i32" (i32.const 100)) (i32.const 20000))

;; ---- wait and notify ----
(module $Sync
  (memory (import "mem" "shared") 1 4 shared)
  ;; blocks until notified: nothing ever changes the value at 128
  (func (export "wait32") (result i32)
    (memory.atomic.wait32 (i32.const 128) (i32.const 0) (i64.const -1)))
  (func (export "wait64") (result i32)
    (memory.atomic.wait64 (i32.const 136) (i64.const 0) (i64.const -1)))
  ;; notify until `n` waiters have woken (they may not be waiting yet)
  (func (export "notify") (param $addr i32) (param $n i32) (result i32) (local $woken i32)
    (loop $again
      (local.set $woken (i32.add (local.get $woken)
        (memory.atomic.notify (local.get $addr) (i32.sub (local.get $n) (local.get $woken)))))
      (br_if $again (i32.lt_u (local.get $woken) (local.get $n))))
    (local.get $woken))
  (func (export "wait_for") (param $addr i32) (param $expected i32) (param $ns i64) (result i32)
    (memory.atomic.wait32 (local.get $addr) (local.get $expected) (local.get $ns)))
  (func (export "set") (param $addr i32) (param $v i32) (i32.atomic.store (local.get $addr) (local.get $v))))

(thread $W1 (shared (module $Sync)) (assert_return (invoke $Sync "wait32") (i32.const 0)))
(thread $W2 (shared (module $Sync)) (assert_return (invoke $Sync "wait32") (i32.const 0)))
(thread $W3 (shared (module $Sync)) (assert_return (invoke $Sync "wait64") (i32.const 0)))
(assert_return (invoke $Sync "notify" (i32.const 128) (i32.const 2)) (i32.const 2))
(assert_return (invoke $Sync "notify" (i32.const 136) (i32.const 1)) (i32.const 1))
(wait $W1)
(wait $W2)
(wait $W3)
;; nobody waits any more
(assert_return (invoke $Sync "notify" (i32.const 128) (i32.const 0)) (i32.const 0))

;; timeouts and values that differ
(assert_return (invoke $Sync "wait_for" (i32.const 128) (i32.const 0) (i64.const 0)) (i32.const 2))
(assert_return (invoke $Sync "wait_for" (i32.const 128) (i32.const 0) (i64.const 20000000)) (i32.const 2))
(assert_return (invoke $Sync "wait_for" (i32.const 128) (i32.const 7) (i64.const -1)) (i32.const 1))

;; ---- growing in one thread is seen in another ----
(module $Grow
  (memory (import "mem" "shared") 1 4 shared)
  (func (export "grow") (result i32) (memory.grow (i32.const 1)))
  (func (export "size") (result i32) (memory.size))
  (func (export "poke") (param i32) (i32.store (local.get 0) (i32.const 5)))
  (func (export "peek") (param i32) (result i32) (i32.atomic.load (local.get 0))))
(thread $G (shared (module $Grow)) (assert_return (invoke $Grow "grow") (i32.const 1)))
(wait $G)
(assert_return (invoke $Grow "size") (i32.const 2))
(invoke $Grow "poke" (i32.const 0x1fffc))
(assert_return (invoke $Grow "peek" (i32.const 0x1fffc)) (i32.const 5))
(assert_trap (invoke $Grow "peek" (i32.const 0x20000)) "out of bounds memory access")

;; ---- a thread's registry is its own ----
(assert_unlinkable (module (memory (import "spectest" "nope") 1 1 shared)) "unknown import")
