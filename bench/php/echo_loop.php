<?php

/*
 * N Echo calls through SkypeBus\Bus::call() with the signature, nothing else: the loop whose
 * instructions per call docs/driving.md counts (callgrind of N = 3,000 minus N = 1,000, so
 * start-up drops out). Run it with the bench's private bus and services up:
 *
 *   bench/run.sh -- valgrind --tool=callgrind php -d ffi.enable=1 bench/php/echo_loop.php 1000
 */

declare(strict_types=1);

require __DIR__ . '/common.php';

$missing = load_skypebus();
if ($missing !== null) {
    fwrite(STDERR, "echo_loop: $missing\n");
    exit(2);
}
$calls = (int) ($argv[1] ?? 1000);
$address = getenv('DBUS_SESSION_BUS_ADDRESS');
if ($calls < 1 || $address === false || $address === '') {
    fwrite(STDERR, "usage: DBUS_SESSION_BUS_ADDRESS=... echo_loop.php CALLS (inside bench/run.sh --)\n");
    exit(2);
}
$bus = SkypeBus\Bus::connect($address);
$reply = null;
for ($i = 0; $i < $calls; $i++) {
    [$reply] = $bus->call(ZBUS_SERVICE, BENCH_PATH, BENCH_IFACE, 'Echo', [ECHO_TEXT], 's');
}
if ($reply !== ECHO_TEXT) {
    fwrite(STDERR, "echo_loop: unexpected reply\n");
    exit(1);
}
