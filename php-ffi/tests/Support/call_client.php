<?php

/*
 * Calls the worker of serve_worker.php N times from another PHP process: Add and Echo,
 * checking every reply, and Fail every 100th call, checking its error.
 * Usage: call_client.php ADDRESS NAME N    Prints {"calls", "failed", "seconds"}.
 */

declare(strict_types=1);

require __DIR__ . '/../bootstrap.php';

use SkypeBus\Bus;
use SkypeBus\Exception\DBusException;

[, $address, $name, $total] = $argv;
$total = (int) $total;
$bus = Bus::connect($address);
$path = '/net/skypebus/Test/Worker';
$interface = 'net.skypebus.Test.Worker';
$failed = 0;
$start = microtime(true);
for ($i = 0; $i < $total; $i++) {
    if ($i % 100 === 99) {
        try {
            $bus->call($name, $path, $interface, 'Fail', [], '');
            throw new RuntimeException('Fail() did not fail');
        } catch (DBusException $e) {
            if ($e->getErrorName() !== 'net.skypebus.Test.Error.Refused') {
                throw $e;
            }
            $failed++;
        }
    } elseif ($i % 2 === 0) {
        [$sum] = $bus->call($name, $path, $interface, 'Add', [$i, 1], 'ii');
        if ($sum !== $i + 1) {
            throw new RuntimeException("Add($i, 1) gave $sum");
        }
    } else {
        [$text] = $bus->call($name, $path, $interface, 'Echo', ["call $i"], 's');
        if ($text !== "call $i") {
            throw new RuntimeException("Echo gave $text");
        }
    }
}
echo json_encode(['calls' => $total, 'failed' => $failed, 'seconds' => microtime(true) - $start]), "\n";
