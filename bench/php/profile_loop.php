<?php

/*
 * N calls of one workload (ping, echo, echo_py, dict20, ai100k, ay1m) through the skypebus package or pecl/dbus,
 * nothing else: the loop whose instructions per call docs/performance.md counts (callgrind of
 * N = 3,000 minus N = 1,000, so start-up drops out). Run it with the bench's private bus and
 * services up:
 *
 *   bench/run.sh -- valgrind --tool=callgrind php -d ffi.enable=1 bench/php/profile_loop.php skypebus echo 1000
 *   bench/run.sh -- valgrind --tool=callgrind php -d extension=target/pecl-dbus/src/modules/dbus.so \
 *       bench/php/profile_loop.php pecl echo 1000
 *
 * "skypebus" calls Bus::call() with the signature, "proxy" a Proxy's method, "prepared" a
 * prepared call (Bus::prepare()) when the package has it; "pecl" a pecl/dbus proxy with the
 * arguments wrapped per call, as bench/php/pecl_client.php does.
 */

declare(strict_types=1);

require __DIR__ . '/common.php';

[$client, $workload, $calls] = [$argv[1] ?? '', $argv[2] ?? '', (int) ($argv[3] ?? 1000)];
$address = getenv('DBUS_SESSION_BUS_ADDRESS');
$targets = [
    'ping' => ['org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Peer', 'Ping', '', []],
    'echo' => [ZBUS_SERVICE, BENCH_PATH, BENCH_IFACE, 'Echo', 's', [ECHO_TEXT]],
    'echo_py' => [PYTHON_SERVICE, BENCH_PATH, BENCH_IFACE, 'Echo', 's', [ECHO_TEXT]],
    'dict20' => [ZBUS_SERVICE, BENCH_PATH, BENCH_IFACE, 'EchoDict', 'a{sv}', [bench_dict(20)]],
    'ai100k' => [ZBUS_SERVICE, BENCH_PATH, BENCH_IFACE, 'EchoAi', 'ai', [bench_ints(100000)]],
    'ay1m' => [ZBUS_SERVICE, BENCH_PATH, BENCH_IFACE, 'EchoAy', 'ay', [bench_bytes(1 << 20)]],
];
if (!isset($targets[$workload]) || $calls < 1 || $address === false || $address === '') {
    fwrite(STDERR, "usage: DBUS_SESSION_BUS_ADDRESS=... profile_loop.php skypebus|proxy|prepared|pecl ping|echo|echo_py|dict20|ai100k|ay1m CALLS\n");
    exit(2);
}
[$dest, $path, $iface, $method, $signature, $args] = $targets[$workload];

if ($client === 'pecl') {
    $dbus = new Dbus(Dbus::BUS_SESSION);
    $proxy = $dbus->createProxy($dest, $path, $iface);
    for ($i = 0; $i < $calls; $i++) {
        if ($workload === 'ai100k' || $workload === 'ay1m') {
            fwrite(STDERR, "profile_loop: pecl/dbus returns wrong values for $workload (bench/README.md)\n");
            exit(2);
        }
        if ($workload === 'dict20') {
            $wrapped = [];
            foreach ($args[0] as $key => $value) {
                $wrapped[$key] = new DbusVariant($value);
            }
            $proxy->{$method}(new DbusDict(Dbus::VARIANT, $wrapped));
        } else {
            $proxy->{$method}(...$args);
        }
    }
    exit(0);
}

$missing = load_skypebus();
if ($missing !== null) {
    fwrite(STDERR, "profile_loop: $missing\n");
    exit(2);
}
$bus = SkypeBus\Bus::connect($address);
$reply = null;
switch ($client) {
    case 'skypebus':
        for ($i = 0; $i < $calls; $i++) {
            $reply = $bus->call($dest, $path, $iface, $method, $args, $signature);
        }
        break;
    case 'proxy':
        $proxy = $bus->proxy($dest, $path, $iface);
        for ($i = 0; $i < $calls; $i++) {
            $reply = $proxy->{$method}(...$args);
        }
        $reply = $reply === null ? [] : [$reply];
        break;
    case 'prepared':
        $prepared = $bus->prepare($dest, $path, $iface, $method, $signature);
        for ($i = 0; $i < $calls; $i++) {
            $reply = $prepared(...$args);
        }
        break;
    default:
        fwrite(STDERR, "profile_loop: unknown client $client\n");
        exit(2);
}
if (canonical($reply) !== canonical($args)) {
    fwrite(STDERR, "profile_loop: unexpected reply\n");
    exit(1);
}
