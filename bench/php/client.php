<?php

/*
 * The PHP client of the benchmarks: SkypeBus\Bus::call() with explicit signatures over the
 * workloads of bench/README.md, callMany() batches when the package has them, and `gdbus call`
 * run as one process per call (gdbus_*). Speaks the bench driver's line protocol.
 *
 *   php -d ffi.enable=1 bench/php/client.php ADDRESS
 *
 * Without the PHP package (php-ffi/) only the gdbus workloads run; the others answer "skip".
 * Client CPU is getrusage() of this process (the library's threads included); for gdbus_* it
 * adds the CPU of the gdbus processes (RUSAGE_CHILDREN).
 */

declare(strict_types=1);

require __DIR__ . '/common.php';

$address = $argv[1] ?? null;
if ($address === null) {
    fwrite(STDERR, "usage: client.php ADDRESS\n");
    exit(2);
}

/** One `gdbus call` process; returns its output. */
function gdbus(string $address, string $dest, string $path, string $method, array $args): string
{
    $process = proc_open(
        array_merge(['gdbus', 'call', '--address', $address, '--dest', $dest, '--object-path', $path, '--method', $method], $args),
        [1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
        $pipes
    );
    if (!is_resource($process)) {
        throw new RuntimeException('cannot start gdbus');
    }
    $out = stream_get_contents($pipes[1]);
    $err = stream_get_contents($pipes[2]);
    fclose($pipes[1]);
    fclose($pipes[2]);
    if (proc_close($process) !== 0) {
        throw new RuntimeException("gdbus call $method: $err");
    }
    return $out;
}

$gdbusPing = function (string $w, float $s) use ($address): array {
    return measure($w, $s, function (bool $check) use ($address): int {
        $out = gdbus($address, 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Peer.Ping', []);
        if ($check && trim($out) !== '()') {
            throw new RuntimeException("gdbus Ping: unexpected output $out");
        }
        return 1;
    }, true);
};
$gdbusEcho = function (string $w, float $s) use ($address): array {
    return measure($w, $s, function (bool $check) use ($address): int {
        $out = gdbus($address, ZBUS_SERVICE, BENCH_PATH, BENCH_IFACE . '.Echo', ["'" . ECHO_TEXT . "'"]);
        if ($check && trim($out) !== "('" . ECHO_TEXT . "',)") {
            throw new RuntimeException("gdbus Echo: unexpected output $out");
        }
        return 1;
    }, true);
};
$workloads = ['gdbus_ping' => $gdbusPing, 'gdbus_echo' => $gdbusEcho];
$info = ['php' => PHP_VERSION];

$missing = load_skypebus();
if ($missing !== null) {
    $info['skypebus'] = $missing;
    foreach (['ping', 'echo', 'echo_nosig', 'echo_py', 'dict20', 'ai100k', 'ay1m', 'struct', 'ping_many', 'echo_many'] as $name) {
        $workloads[$name] = function (string $w) use ($missing): array {
            return ['workload' => $w, 'skip' => $missing];
        };
    }
    serve_driver($info, $workloads);
    exit(0);
}

use SkypeBus\Bus;
use SkypeBus\Library;

$bus = Bus::connect($address);
$info['skypebus'] = Library::version();
$info['call_many'] = method_exists($bus, 'callMany');

/** A workload of single calls: $bus->call($dest, BENCH_PATH, BENCH_IFACE, $method, [$value], $sig), echo checked. */
$echo = function (string $dest, string $method, ?string $signature, $value) use ($bus): callable {
    return function (string $w, float $s) use ($bus, $dest, $method, $signature, $value): array {
        return measure($w, $s, function (bool $check) use ($bus, $dest, $method, $signature, $value): int {
            $reply = $bus->call($dest, BENCH_PATH, BENCH_IFACE, $method, [$value], $signature);
            if ($check) {
                check_echo("$method through $dest", $value, $reply);
            }
            return 1;
        });
    };
};
$ping = [
    'destination' => 'org.freedesktop.DBus',
    'path' => '/org/freedesktop/DBus',
    'interface' => 'org.freedesktop.DBus.Peer',
    'method' => 'Ping',
    'args' => [],
    'signature' => '',
];
$echoRequest = [
    'destination' => ZBUS_SERVICE,
    'path' => BENCH_PATH,
    'interface' => BENCH_IFACE,
    'method' => 'Echo',
    'args' => [ECHO_TEXT],
    'signature' => 's',
];
/**
 * A workload of callMany() batches of MANY copies of one request; every entry must be the
 * expected reply. The request is given as call()'s parameters by name ('destination', 'path',
 * 'interface', 'method', 'args', 'signature'); should the package take them as a list in call()'s
 * order instead, that form is used. Neither working is an error, never a number.
 */
$many = function (array $request, array $expected) use ($bus): callable {
    return function (string $w, float $s) use ($bus, $request, $expected): array {
        if (!method_exists($bus, 'callMany')) {
            return ['workload' => $w, 'skip' => 'the PHP package has no Bus::callMany()'];
        }
        $check = function (array $batch) use ($bus, $expected): void {
            $results = $bus->callMany($batch);
            if (count($results) !== MANY) {
                throw new RuntimeException('callMany: ' . count($results) . ' results for ' . MANY . ' requests');
            }
            foreach ($results as $i => $result) {
                if ($result instanceof Throwable) {
                    throw $result;
                }
                if ($result !== $expected) {
                    throw new RuntimeException("callMany entry $i: unexpected reply " . json_encode($result));
                }
            }
        };
        $batch = null;
        $failures = [];
        foreach ([$request, array_values($request)] as $form) {
            try {
                $check(array_fill(0, MANY, $form));
                $batch = array_fill(0, MANY, $form);
                break;
            } catch (Throwable $e) {
                $failures[] = get_class($e) . ': ' . $e->getMessage();
            }
        }
        if ($batch === null) {
            return ['workload' => $w, 'error' => 'callMany takes neither request form: ' . implode(' / ', $failures)];
        }
        return measure($w, $s, function (bool $check) use ($bus, $batch): int {
            $bus->callMany($batch);
            return MANY;
        });
    };
};

/**
 * A workload of MANY callAsync() calls of one request, settled by one stream_select() loop on
 * eventStream() with process(), as an event loop would; every result must be the expected reply.
 */
$async = function (array $request, array $expected) use ($bus): callable {
    return function (string $w, float $s) use ($bus, $request, $expected): array {
        if (!method_exists($bus, 'callAsync')) {
            return ['workload' => $w, 'skip' => 'the PHP package has no Bus::callAsync()'];
        }
        $stream = $bus->eventStream();
        return measure($w, $s, function (bool $check) use ($bus, $request, $expected, $stream): int {
            $left = MANY;
            $calls = [];
            for ($i = 0; $i < MANY; $i++) {
                $call = $bus->callAsync(
                    $request['destination'],
                    $request['path'],
                    $request['interface'],
                    $request['method'],
                    $request['args'],
                    $request['signature']
                );
                $call->onResolve(function () use (&$left): void {
                    $left--;
                });
                $calls[] = $call;
            }
            while ($left > 0) {
                $read = [$stream];
                $none = null;
                if (stream_select($read, $none, $none, 5) === 0) {
                    throw new RuntimeException("callAsync: $left calls unfinished after 5 s");
                }
                $bus->process();
            }
            if ($check) {
                foreach ($calls as $i => $call) {
                    if ($call->getResult() !== $expected) {
                        throw new RuntimeException("callAsync $i: unexpected reply " . json_encode($call->getResult()));
                    }
                }
            }
            return MANY;
        });
    };
};

$workloads += [
    'ping' => function (string $w, float $s) use ($bus, $ping): array {
        return measure($w, $s, function (bool $check) use ($bus, $ping): int {
            $reply = $bus->call($ping['destination'], $ping['path'], $ping['interface'], 'Ping', [], '');
            if ($check && $reply !== []) {
                throw new RuntimeException('Ping: unexpected reply ' . json_encode($reply));
            }
            return 1;
        });
    },
    'echo' => $echo(ZBUS_SERVICE, 'Echo', 's', ECHO_TEXT),
    'echo_py' => $echo(PYTHON_SERVICE, 'Echo', 's', ECHO_TEXT),
    // No signature: typed from the service's introspection data (cached after the first call).
    'echo_nosig' => $echo(ZBUS_SERVICE, 'Echo', null, ECHO_TEXT),
    'dict20' => $echo(ZBUS_SERVICE, 'EchoDict', 'a{sv}', bench_dict(20)),
    'ai100k' => $echo(ZBUS_SERVICE, 'EchoAi', 'ai', bench_ints(100000)),
    // A binary string where the signature says "ay"; it comes back as a binary string.
    'ay1m' => $echo(ZBUS_SERVICE, 'EchoAy', 'ay', bench_bytes(1 << 20)),
    'struct' => $echo(ZBUS_SERVICE, 'EchoStruct', '(sa{sv}as)', bench_struct()),
    'ping_many' => $many($ping, []),
    'echo_many' => $many($echoRequest, [ECHO_TEXT]),
    'ping_async' => $async($ping, []),
    'echo_async' => $async($echoRequest, [ECHO_TEXT]),
];

serve_driver($info, $workloads);
