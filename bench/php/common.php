<?php

/*
 * What the PHP clients of the benchmarks share: the payloads (bench/README.md, "Workloads"),
 * getrusage CPU time, VmRSS, the measuring loop and the bench driver's line protocol
 * ("<workload> <seconds>" in, one JSON line out).
 */

declare(strict_types=1);

const BENCH_PATH = '/net/skypebus/Bench';
const BENCH_IFACE = 'net.skypebus.Bench';
const ZBUS_SERVICE = 'net.skypebus.Bench.Zbus';
const PYTHON_SERVICE = 'net.skypebus.Bench.Python';
const ECHO_TEXT = 'Hello from the skypebus bench';
/** Calls per callMany in the *_many workloads. */
const MANY = 100;

/** a{sv} with $n entries: keyNN => "value NN" for even NN, NN for odd NN. */
function bench_dict(int $n): array
{
    $dict = [];
    for ($i = 0; $i < $n; $i++) {
        $dict[sprintf('key%02d', $i)] = $i % 2 === 0 ? sprintf('value %02d', $i) : $i;
    }
    return $dict;
}

function bench_ints(int $n): array
{
    return range(0, $n - 1);
}

/** Byte $i is $i % 256. */
function bench_bytes(int $n): string
{
    return substr(str_repeat(implode('', array_map('chr', range(0, 255))), intdiv($n, 256) + 1), 0, $n);
}

/** The (sa{sv}as) payload, as a PHP list. */
function bench_struct(): array
{
    return ['bench-struct', bench_dict(5), array_map(function (int $i): string {
        return "item$i";
    }, range(0, 9))];
}

/** Dicts in any key order compare equal: sorts every string-keyed array, recursively. */
function canonical($value)
{
    if (is_array($value)) {
        $value = array_map('canonical', $value);
        if ($value !== [] && !array_is_list_compat($value)) {
            ksort($value, SORT_STRING);
        }
    }
    return $value;
}

function array_is_list_compat(array $a): bool
{
    return $a === [] || array_keys($a) === range(0, count($a) - 1);
}

/** User + system CPU seconds of this process (all its threads); with $children, of its waited-for children too. */
function cpu_seconds(bool $children = false): float
{
    $total = 0.0;
    foreach ($children ? [0, 1] : [0] as $who) {
        $u = getrusage($who);
        $total += $u['ru_utime.tv_sec'] + $u['ru_utime.tv_usec'] / 1e6 + $u['ru_stime.tv_sec'] + $u['ru_stime.tv_usec'] / 1e6;
    }
    return $total;
}

/** VmRSS of this process in KiB. (No regular expression: PCRE's JIT memory would show up in the next reading.) */
function rss_kib(): int
{
    $status = (string) file_get_contents('/proc/self/status');
    $at = strpos($status, "\nVmRSS:");
    return $at === false ? 0 : (int) trim(substr($status, $at + 7, strpos($status, 'kB', $at) - $at - 7));
}

/**
 * One measurement: a warm-up whose first call is checked ($op(true)), then $op(false) until
 * $seconds have passed (at least 3 times). $op returns the number of D-Bus calls it made.
 *
 * @return array<string, mixed> the result line
 */
function measure(string $workload, float $seconds, callable $op, bool $childrenCpu = false): array
{
    try {
        $start = microtime(true);
        $op(true);
        while (microtime(true) - $start < min($seconds, 1.0) / 10) {
            $op(false);
        }
        $calls = $ops = 0;
        $c0 = cpu_seconds($childrenCpu);
        $t0 = hrtime(true);
        while ($ops < 3 || (hrtime(true) - $t0) / 1e9 < $seconds) {
            $calls += $op(false);
            $ops++;
        }
        $dt = (hrtime(true) - $t0) / 1e9;
        return ['workload' => $workload, 'calls' => $calls, 'seconds' => $dt, 'cpu_seconds' => cpu_seconds($childrenCpu) - $c0];
    } catch (Throwable $e) {
        return ['workload' => $workload, 'error' => get_class($e) . ': ' . $e->getMessage()];
    }
}

/**
 * The driver's line protocol. $workloads maps a name to a function of the seconds that returns
 * the result line.
 *
 * @param array<string, mixed> $info
 * @param array<string, callable(string, float): array<string, mixed>> $workloads
 */
function serve_driver(array $info, array $workloads): void
{
    echo json_encode(['ready' => true] + $info), "\n";
    while (($line = fgets(STDIN)) !== false) {
        $words = preg_split('/\s+/', trim($line));
        if (count($words) !== 2) {
            continue;
        }
        [$workload, $seconds] = $words;
        $result = isset($workloads[$workload])
            ? $workloads[$workload]($workload, (float) $seconds)
            : ['workload' => $workload, 'skip' => 'not a workload of this client'];
        echo json_encode($result, JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE), "\n";
    }
}

/** An echo check: the reply's first value equals what was sent (dicts in any order). */
function check_echo(string $what, $sent, array $reply): void
{
    if (count($reply) !== 1 || canonical($reply[0]) !== canonical($sent)) {
        throw new RuntimeException("$what: the reply differs from the argument");
    }
}

/**
 * Loads the skypebus PHP package (php-ffi/ of this checkout, or SKYPEBUS_BENCH_PHP_FFI): its
 * Composer autoloader when installed, else a PSR-4 autoloader over its src/. Returns null with
 * a reason when there is no package.
 */
function load_skypebus(): ?string
{
    $dir = getenv('SKYPEBUS_BENCH_PHP_FFI') ?: dirname(__DIR__, 2) . '/php-ffi';
    if (!is_file("$dir/src/Bus.php")) {
        return "the PHP package is not in this checkout yet ($dir/src/Bus.php is missing)";
    }
    if (is_file("$dir/vendor/autoload.php")) {
        require_once "$dir/vendor/autoload.php";
        return null;
    }
    spl_autoload_register(function (string $class) use ($dir): void {
        if (strncmp($class, 'SkypeBus\\', 9) === 0) {
            $file = "$dir/src/" . str_replace('\\', '/', substr($class, 9)) . '.php';
            if (is_file($file)) {
                require $file;
            }
        }
    });
    if (is_file("$dir/src/functions.php")) {
        require_once "$dir/src/functions.php";
    }
    return null;
}
