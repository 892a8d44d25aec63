<?php

/*
 * PHP-side numbers of the package, on a private dbus-daemon (never the machine's buses):
 *   - small calls: Peer.Ping and GetId to the bus driver, through Bus::call and a Proxy:
 *     calls/s and client CPU per call (user + system time of this PHP process);
 *   - a 1 MiB "ay" round trip through a GDBus peer that returns the bytes it got;
 *   - RSS after 1k and after N calls.
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
