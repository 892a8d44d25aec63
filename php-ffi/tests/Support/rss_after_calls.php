<?php

/*
 * Child process of the leak test: RSS after 1k and after 100k calls on one connection, mixing
 * successful calls (Peer.Ping, GetId, a typed reply), failing calls (an unknown method) and
 * connections opened and closed. Usage: rss_after_calls.php ADDRESS [CALLS]
 * Prints {"rss_1k": kB, "rss_end": kB, "calls": n, "seconds": s}.
 */

declare(strict_types=1);

require __DIR__ . '/../bootstrap.php';

use SkypeBus\Bus;
use SkypeBus\Exception\UnknownMethodException;

$address = $argv[1];
$total = (int) ($argv[2] ?? 100000);

function rss(): int
{
    gc_collect_cycles();
    preg_match('/^VmRSS:\s+(\d+) kB/m', (string) file_get_contents('/proc/self/status'), $m);
    return (int) $m[1];
}

$bus = Bus::connect($address);
$round = static function (int $i) use ($bus, $address): void {
    switch ($i % 100) {
        case 0:
            try {
                $bus->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'NoSuchMethod');
            } catch (UnknownMethodException $e) {
            }
            break;
        case 1:
            $bus->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetConnectionCredentials', [':1.0'], 's', ['variants' => 'typed']);
            break;
        case 2:
            if ($i % 1000 === 2) {
                (Bus::connect($address))->getUniqueName();
            }
            break;
        case 3:
            $bus->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetId');
            break;
        default:
            $bus->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Peer', 'Ping');
    }
};

$start = microtime(true);
for ($i = 0; $i < 1000; $i++) {
    $round($i);
}
$rss1k = rss();
for (; $i < $total; $i++) {
    $round($i);
}
$rssEnd = rss();
echo json_encode(['rss_1k' => $rss1k, 'rss_end' => $rssEnd, 'calls' => $total, 'seconds' => round(microtime(true) - $start, 3)]), "\n";
