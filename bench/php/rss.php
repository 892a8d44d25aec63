<?php

/*
 * Memory of a PHP process making many small calls: VmRSS (/proc/self/status, KiB) and PHP's own
 * heap (memory_get_usage) after 10,000 calls and after N calls (default 1,000,000), one Echo(s)
 * through the native zbus echo service per call. Prints one JSON line.
 *
 *   php -d ffi.enable=1 bench/php/rss.php ADDRESS [N]
 */

declare(strict_types=1);

require __DIR__ . '/common.php';

[, $address, $total] = $argv + [null, null, '1000000'];
$total = (int) $total;
if ($address === null || $total < 10000) {
    fwrite(STDERR, "usage: rss.php ADDRESS [N >= 10000]\n");
    exit(2);
}
$missing = load_skypebus();
if ($missing !== null) {
    echo json_encode(['skip' => $missing], JSON_UNESCAPED_SLASHES), "\n";
    exit(0);
}

$bus = SkypeBus\Bus::connect($address);
$call = function () use ($bus): void {
    $reply = $bus->call(ZBUS_SERVICE, BENCH_PATH, BENCH_IFACE, 'Echo', [ECHO_TEXT], 's');
    if ($reply[0] !== ECHO_TEXT) {
        throw new RuntimeException('Echo: the reply differs from the argument');
    }
};
rss_kib(); // the first reading's own allocations stay out of the comparison
$t0 = hrtime(true);
for ($i = 0; $i < 10000; $i++) {
    $call();
}
$at10k = ['rss_kib' => rss_kib(), 'php_heap_kib' => intdiv(memory_get_usage(), 1024)];
for (; $i < $total; $i++) {
    $call();
}
$atN = ['rss_kib' => rss_kib(), 'php_heap_kib' => intdiv(memory_get_usage(), 1024)];
echo json_encode([
    'workload' => 'echo',
    'calls' => $total,
    'seconds' => (hrtime(true) - $t0) / 1e9,
    'after_10k' => $at10k,
    'after_n' => $atN,
    'rss_growth_kib' => $atN['rss_kib'] - $at10k['rss_kib'],
]), "\n";
