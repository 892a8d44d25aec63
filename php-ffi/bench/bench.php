<?php

/*
 * PHP-side numbers of the package, on a private dbus-daemon (never the machine's buses):
 *   - small calls: Peer.Ping and GetId to the bus driver, through Bus::call and a Proxy:
 *     calls/s and client CPU per call (user + system time of this PHP process);
 *   - a 1 MiB "ay" round trip through a GDBus peer that returns the bytes it got;
 *   - RSS after 1k and after N calls;
 *   - callMany() of 100 Pings against 100 sequential call()s (median of rounds, interleaved);
 *   - served calls/s: a PHP worker (tests/Support/serve_worker.php) called by another PHP
 *     process (tests/Support/call_client.php), and fed by callMany();
 *   - signals/s received by PHP from a dbus-python emitter (tests/Support/emit_signals.py):
 *     live, while it emits, and draining signals already queued.
 * Usage: php php-ffi/bench/bench.php [--calls=N] [--json]
 * A measurement, not a test: it asserts nothing about speed.
 */

declare(strict_types=1);

require __DIR__ . '/../tests/bootstrap.php';

use SkypeBus\Bus;
use SkypeBus\Library;
use SkypeBus\Tests\Support\PrivateBus;
use SkypeBus\Type\Bytes;

$options = getopt('', ['calls:', 'json']);
$calls = (int) ($options['calls'] ?? 50000);

function cpu(): float
{
    $usage = getrusage();
    return $usage['ru_utime.tv_sec'] + $usage['ru_utime.tv_usec'] / 1e6 + $usage['ru_stime.tv_sec'] + $usage['ru_stime.tv_usec'] / 1e6;
}

function rssKb(): int
{
    preg_match('/^VmRSS:\s+(\d+) kB/m', (string) file_get_contents('/proc/self/status'), $m);
    return (int) $m[1];
}

/**
 * @return array{calls_per_second: float, cpu_us_per_call: float}
 */
function measure(int $n, callable $call): array
{
    for ($i = 0; $i < min(1000, $n); $i++) {
        $call();
    }
    $cpu = cpu();
    $start = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $call();
    }
    $seconds = (hrtime(true) - $start) / 1e9;
    return [
        'calls_per_second' => round($n / $seconds),
        'cpu_us_per_call' => round((cpu() - $cpu) / $n * 1e6, 1),
    ];
}

$private = PrivateBus::start();
$private->startService('typed_service.py', 'net.skypebus.Test.Typed');
$bus = $private->connect();
$results = ['php' => PHP_VERSION, 'library' => Library::version(), 'calls' => $calls];

$results['ping_call'] = measure($calls, static function () use ($bus): void {
    $bus->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Peer', 'Ping');
});
$results['getid_call'] = measure($calls, static function () use ($bus): void {
    $bus->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetId');
});
$dbus = $bus->proxy('org.freedesktop.DBus', '/org/freedesktop/DBus');
$results['getid_proxy'] = measure($calls, static function () use ($dbus): void {
    $dbus->GetId();
});

$megabyte = random_bytes(1 << 20);
$typed = $bus->proxy('net.skypebus.Test.Typed', '/net/skypebus/Test/Typed', 'net.skypebus.Test.Typed');
if ($typed->EchoBytes(new Bytes($megabyte)) !== $megabyte) {
    throw new RuntimeException('1 MiB round trip changed the bytes');
}
$rounds = 20;
$start = hrtime(true);
for ($i = 0; $i < $rounds; $i++) {
    $typed->EchoBytes(new Bytes($megabyte));
}
$results['mib_ay_round_trip_ms'] = round((hrtime(true) - $start) / 1e6 / $rounds, 2);
$start = hrtime(true);
for ($i = 0; $i < $rounds; $i++) {
    $bus->call('net.skypebus.Test.Typed', '/net/skypebus/Test/Typed', 'net.skypebus.Test.Typed', 'EchoBytes', [$megabyte], 'ay');
}
$results['mib_ay_round_trip_plain_string_ms'] = round((hrtime(true) - $start) / 1e6 / $rounds, 2);

/**
 * Seconds per round of each function, rounds interleaved; the median of each.
 *
 * @param array<string, callable> $functions
 * @return array<string, float>
 */
function interleaved(int $rounds, array $functions): array
{
    $times = array_fill_keys(array_keys($functions), []);
    for ($r = 0; $r < $rounds; $r++) {
        foreach ($functions as $name => $function) {
            $start = hrtime(true);
            $function();
            $times[$name][] = (hrtime(true) - $start) / 1e9;
        }
    }
    foreach ($times as $name => $list) {
        sort($list);
        $times[$name] = $list[intdiv(count($list), 2)];
    }
    return $times;
}

$ping = ['org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Peer', 'Ping'];
$pings = array_fill(0, 100, $ping);
$batch = interleaved(max(20, intdiv($calls, 500)), [
    'sequential' => static function () use ($bus, $ping): void {
        for ($i = 0; $i < 100; $i++) {
            $bus->call(...$ping);
        }
    },
    'callMany' => static function () use ($bus, $pings): void {
        $bus->callMany($pings);
    },
]);
$results['ping_100_sequential_calls_per_second'] = round(100 / $batch['sequential']);
$results['ping_100_callmany_calls_per_second'] = round(100 / $batch['callMany']);
$results['ping_callmany_ratio'] = round($batch['sequential'] / $batch['callMany'], 2);

// A PHP worker serving, called from another PHP process, then fed by callMany().
$worker = 'net.skypebus.Test.Worker';
$report = $private->directory() . '/bench-worker.json';
$workerProcess = $private->spawn([PHP_BINARY, __DIR__ . '/../tests/Support/serve_worker.php', $private->address(), $worker, $report, 'interrupt']);
$private->waitForName($worker);
$served = min($calls, 20000);
$client = shell_exec(sprintf(
    '%s %s %s %s %d',
    escapeshellarg(PHP_BINARY),
    escapeshellarg(__DIR__ . '/../tests/Support/call_client.php'),
    escapeshellarg($private->address()),
    $worker,
    $served
));
$clientResult = json_decode((string) $client, true);
if (!is_array($clientResult)) {
    throw new RuntimeException('call_client.php failed: ' . $client . $private->logs());
}
$results['served_sequential_calls_per_second'] = round($served / $clientResult['seconds']);
$add = [$worker, '/net/skypebus/Test/Worker', 'net.skypebus.Test.Worker', 'Add', [1, 2], 'ii'];
$adds = array_fill(0, 100, $add);
$batch = interleaved(max(20, intdiv($calls, 500)), [
    'sequential' => static function () use ($bus, $add): void {
        for ($i = 0; $i < 100; $i++) {
            $bus->call(...$add);
        }
    },
    'callMany' => static function () use ($bus, $adds): void {
        $bus->callMany($adds);
    },
]);
$results['served_callmany_calls_per_second'] = round(100 / $batch['callMany']);
$results['served_callmany_ratio'] = round($batch['sequential'] / $batch['callMany'], 2);
$private->kill($workerProcess);

// Signals received by PHP from a dbus-python emitter.
$signalCount = min($calls, 20000);
$receiver = Bus::connectPrivate($private->address());
$receiver->setEventOptions(['queueLimit' => $signalCount + 10]);
$receiver->subscribe(['interface' => 'net.skypebus.Test.Flood']);
$emit = static function () use ($private, $signalCount) {
    return proc_open([PrivateBus::PYTHON, __DIR__ . '/../tests/Support/emit_signals.py', (string) $signalCount], [], $pipes, null, $private->environment());
};
$take = static function () use ($receiver, $signalCount): array {
    $got = 0;
    $first = null;
    while (($signal = $receiver->nextSignal(10.0)) !== null) {
        $first = $first ?? hrtime(true);
        if ($signal->getMember() === 'Done') {
            break;
        }
        $got++;
    }
    return [$got, (hrtime(true) - $first) / 1e9];
};
$process = $emit();
[$got, $seconds] = $take();
proc_close($process);
$results['signals_live_per_second'] = round($got / $seconds);
$results['signals_live_received'] = $got;
$process = $emit();
proc_close($process);
usleep(200000);
$start = hrtime(true);
[$got] = $take();
$results['signals_drain_per_second'] = round($got / ((hrtime(true) - $start) / 1e9));
$results['signals_drain_received'] = $got;
$results['signals_sent'] = $signalCount;
$results['signals_dropped'] = $receiver->droppedSignals();
$receiver->close();

$fresh = Bus::connect($private->address());
for ($i = 0; $i < 1000; $i++) {
    $fresh->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetId');
}
gc_collect_cycles();
$results['rss_kb_after_1k'] = rssKb();
for ($i = 1000; $i < 100000; $i++) {
    $fresh->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetId');
}
gc_collect_cycles();
$results['rss_kb_after_100k'] = rssKb();
$private->stop();

if (isset($options['json'])) {
    echo json_encode($results, JSON_PRETTY_PRINT), "\n";
    exit;
}
printf("PHP %s, libskypebus %s, %d calls per measurement, private dbus-daemon\n", $results['php'], $results['library'], $calls);
foreach (['ping_call' => 'Peer.Ping via Bus::call', 'getid_call' => 'GetId via Bus::call', 'getid_proxy' => 'GetId via Proxy'] as $key => $label) {
    printf("  %-26s %8d calls/s  %6.1f µs CPU per call\n", $label, $results[$key]['calls_per_second'], $results[$key]['cpu_us_per_call']);
}
printf("  1 MiB ay round trip        %8.2f ms (Bytes)  %.2f ms (plain string, signature ay)\n", $results['mib_ay_round_trip_ms'], $results['mib_ay_round_trip_plain_string_ms']);
printf("  RSS after 1k / 100k calls  %d kB / %d kB\n", $results['rss_kb_after_1k'], $results['rss_kb_after_100k']);
printf(
    "  100 Pings: callMany / call  %d / %d calls/s (ratio %.2f)\n",
    $results['ping_100_callmany_calls_per_second'],
    $results['ping_100_sequential_calls_per_second'],
    $results['ping_callmany_ratio']
);
printf(
    "  served by a PHP worker      %d calls/s from a PHP caller, %d calls/s fed by callMany (ratio %.2f)\n",
    $results['served_sequential_calls_per_second'],
    $results['served_callmany_calls_per_second'],
    $results['served_callmany_ratio']
);
printf(
    "  signals received by PHP     %d/s while dbus-python emits (%d of %d), %d/s from the queue (%d, %d dropped)\n",
    $results['signals_live_per_second'],
    $results['signals_live_received'],
    $results['signals_sent'],
    $results['signals_drain_per_second'],
    $results['signals_drain_received'],
    $results['signals_dropped']
);
