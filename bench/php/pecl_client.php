<?php

/*
 * The pecl/dbus client of the benchmarks (the C extension over libdbus), for comparison.
 * bench/run.sh builds pecl/dbus from its source (or takes a built dbus.so, see bench/README.md)
 * and runs
 *
 *   DBUS_SESSION_BUS_ADDRESS=ADDRESS php -d extension=$SKYPEBUS_BENCH_PECL_DBUS bench/php/pecl_client.php
 *
 * (pecl/dbus connects to "the session bus", so the private bus is given as that.) Typed values
 * are wrapped the way pecl/dbus wants them (DbusArray, DbusDict, DbusVariant, DbusStruct); the
 * wrappers are built inside the loop from prepared PHP values, as a program would; the bytes of
 * "ay" are prepared once as a PHP array of integers, which pecl/dbus needs instead of a string.
 * Speaks the bench driver's line protocol.
 */

declare(strict_types=1);

require __DIR__ . '/common.php';

if (!class_exists('Dbus')) {
    fwrite(STDERR, "pecl_client.php: the dbus extension is not loaded (php -d extension=/path/to/dbus.so)\n");
    exit(2);
}

/** pecl/dbus objects (DbusArray, DbusDict, DbusVariant, DbusStruct, DbusSet) to plain PHP values, for the check. */
function unwrap($value)
{
    if (is_object($value) && method_exists($value, 'getData')) {
        $value = $value->getData();
    }
    return is_array($value) ? array_map('unwrap', $value) : $value;
}

function variants(array $dict): DbusDict
{
    $wrapped = [];
    foreach ($dict as $key => $value) {
        $wrapped[$key] = new DbusVariant($value);
    }
    return new DbusDict(Dbus::VARIANT, $wrapped);
}

$dbus = new Dbus(Dbus::BUS_SESSION);
$driver = $dbus->createProxy('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Peer');
$echo = $dbus->createProxy(ZBUS_SERVICE, BENCH_PATH, BENCH_IFACE);
$echoPy = $dbus->createProxy(PYTHON_SERVICE, BENCH_PATH, BENCH_IFACE);

/**
 * A workload: $call() makes one call with freshly wrapped arguments; the check compares with
 * $sent. A reply that differs is pecl/dbus' own failure on that shape (it returns "ay" empty,
 * and an "as" inside a struct empty from the second call on): the row says so ("skip") instead
 * of failing the bench, and is not a measurement.
 */
$workload = function (callable $call, $sent): callable {
    return function (string $w, float $s) use ($call, $sent): array {
        $result = measure($w, $s, function (bool $check) use ($w, $call, $sent): int {
            $reply = $call();
            if ($check && $sent !== null && canonical(unwrap($reply)) !== canonical($sent)) {
                throw new UnexpectedValueException("pecl/dbus fails: its reply to $w differs from the argument");
            }
            return 1;
        });
        if (isset($result['error']) && strpos($result['error'], 'UnexpectedValueException: ') === 0) {
            return ['workload' => $w, 'skip' => substr($result['error'], strlen('UnexpectedValueException: '))];
        }
        return $result;
    };
};

$dict = bench_dict(20);
$ints = bench_ints(100000);
$byteValues = array_values(unpack('C*', bench_bytes(1 << 20)));
$struct = bench_struct();
$workloads = [
    'ping' => $workload(function () use ($driver) {
        return $driver->Ping();
    }, null),
    'echo' => $workload(function () use ($echo) {
        return $echo->Echo(ECHO_TEXT);
    }, ECHO_TEXT),
    'echo_py' => $workload(function () use ($echoPy) {
        return $echoPy->Echo(ECHO_TEXT);
    }, ECHO_TEXT),
    'dict20' => $workload(function () use ($echo, $dict) {
        return $echo->EchoDict(variants($dict));
    }, $dict),
    'ai100k' => $workload(function () use ($echo, $ints) {
        return $echo->EchoAi(new DbusArray(Dbus::INT32, $ints));
    }, $ints),
    'ay1m' => $workload(function () use ($echo, $byteValues) {
        return $echo->EchoAy(new DbusArray(Dbus::BYTE, $byteValues));
    }, $byteValues),
    'struct' => $workload(function () use ($echo, $struct) {
        [$name, $dict, $items] = $struct;
        return $echo->EchoStruct(new DbusStruct('', [$name, variants($dict), new DbusArray(Dbus::STRING, $items)]));
    }, $struct),
];

serve_driver(['php' => PHP_VERSION, 'pecl_dbus' => phpversion('dbus')], $workloads);
