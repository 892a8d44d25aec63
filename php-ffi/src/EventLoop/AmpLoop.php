<?php

declare(strict_types=1);

namespace SkypeBus\EventLoop;

use SkypeBus\Internal\Errors;
use SkypeBus\PendingCall;

/**
 * LoopInterface over Amp 2's global loop (Amp\Loop, Debian's php-amphp-amp), and PendingCall as
 * an Amp\Promise (promise()), so coroutines can `yield` a call. Needs the amphp/amp package at
 * run time only: the skypebus package does not require it.
 */
final class AmpLoop implements LoopInterface
{
    /** @throws \SkypeBus\Exception\InvalidArgumentException when Amp 2 is not loaded */
    public function __construct()
    {
        if (!class_exists('Amp\Loop') || !interface_exists('Amp\Promise')) {
            throw Errors::invalid('AmpLoop needs Amp 2 (amphp/amp ^2; Debian: php-amphp-amp): the class Amp\Loop is not loaded');
        }
    }

    public function onReadable($stream, callable $callback): string
    {
        return \Amp\Loop::onReadable($stream, static function () use ($callback): void {
            $callback();
        });
    }

    public function delay(float $seconds, callable $callback): string
    {
        return \Amp\Loop::delay((int) max(0, ceil($seconds * 1000)), static function () use ($callback): void {
            $callback();
        });
    }

    public function cancel(string $id): void
    {
        \Amp\Loop::cancel($id);
    }

    /**
     * $call as an Amp\Promise: resolves with the reply's values (a list) or fails with the
     * exception the call ended with, so coroutines can `$values = yield AmpLoop::promise($call);`.
     *
     * @return \Amp\Promise<list<mixed>>
     */
    public static function promise(PendingCall $call): \Amp\Promise
    {
        $deferred = new \Amp\Deferred();
        $call->onResolve(static function (?\Throwable $error, $values) use ($deferred): void {
            if ($error !== null) {
                $deferred->fail($error);
            } else {
                $deferred->resolve($values);
            }
        });
        return $deferred->promise();
    }
}
