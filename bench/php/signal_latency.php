<?php

/*
 * Signal latency through the event descriptor: a forked child emits COUNT signals, one every
 * INTERVAL ms, each carrying the monotonic clock (hrtime, shared by both processes) at the
 * moment it is emitted; the parent waits in stream_select() on Bus::eventStream() and records,
 * per signal, emit -> readable (the descriptor woke the loop) and emit -> taken (process() and
 * nextSignal(0) gave the Signal to PHP). Prints the median, 90th and 99th percentiles in
 * microseconds. Run it with the bench's private bus up:
 *
 *   bench/run.sh -- php -d ffi.enable=1 bench/php/signal_latency.php [COUNT] [INTERVAL_MS]
 */

declare(strict_types=1);

require __DIR__ . '/common.php';

$missing = load_skypebus();
if ($missing !== null) {
    fwrite(STDERR, "signal_latency: $missing\n");
    exit(2);
}
$count = (int) ($argv[1] ?? 1000);
$interval = (float) ($argv[2] ?? 2.0);
$address = getenv('DBUS_SESSION_BUS_ADDRESS');
if ($count < 1 || $address === false || $address === '' || !function_exists('pcntl_fork')) {
    fwrite(STDERR, "usage: DBUS_SESSION_BUS_ADDRESS=... signal_latency.php [COUNT] [INTERVAL_MS] (needs ext-pcntl)\n");
    exit(2);
}

$bus = SkypeBus\Bus::connectPrivate($address);
$bus->subscribe(['interface' => 'net.skypebus.Bench.Latency']);
$stream = $bus->eventStream();
$child = pcntl_fork();
if ($child === 0) {
    $emitter = SkypeBus\Bus::connectPrivate($address);
    usleep(200000);
    for ($i = 0; $i < $count; $i++) {
        $emitter->emit('/net/skypebus/Bench/Latency', 'net.skypebus.Bench.Latency', 'Tick', [hrtime(true)], 'x');
        usleep((int) ($interval * 1000));
    }
    $emitter->close();
    exit(0);
}
$readable = [];
$taken = [];
$deadline = microtime(true) + 30 + $count * $interval / 1000;
while (count($taken) < $count && microtime(true) < $deadline) {
    $read = [$stream];
    $none = null;
    if (stream_select($read, $none, $none, 1) !== 1) {
        continue;
    }
    $woke = hrtime(true);
    $bus->process();
    while (($signal = $bus->nextSignal(0.0)) !== null) {
        $now = hrtime(true);
        $sent = (int) $signal->getArg(0);
        $readable[] = ($woke - $sent) / 1000;
        $taken[] = ($now - $sent) / 1000;
    }
}
pcntl_waitpid($child, $status);
$line = function (string $what, array $us): string {
    sort($us);
    $at = function (float $q) use ($us): float {
        return $us[(int) min(count($us) - 1, floor($q * count($us)))];
    };
    return sprintf("%-22s median %7.1f us   p90 %7.1f us   p99 %7.1f us", $what, $at(0.5), $at(0.9), $at(0.99));
};
printf("%d signals, one every %.1f ms, received %d\n", $count, $interval, count($taken));
if ($taken !== []) {
    echo $line('emit -> readable', $readable), "\n", $line('emit -> taken by PHP', $taken), "\n";
}
exit(count($taken) === $count ? 0 : 1);
