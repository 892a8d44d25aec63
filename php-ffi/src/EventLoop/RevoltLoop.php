<?php

declare(strict_types=1);

namespace SkypeBus\EventLoop;

use SkypeBus\Internal\Errors;

/**
 * LoopInterface over Revolt's global loop (Revolt\EventLoop: the loop of Amp 3 and of ReactPHP
 * when it runs on Revolt). Needs revolt/event-loop at run time only: the skypebus package does
 * not require it.
 */
final class RevoltLoop implements LoopInterface
{
    /** @throws \SkypeBus\Exception\InvalidArgumentException when Revolt is not loaded */
    public function __construct()
    {
        if (!class_exists('Revolt\EventLoop')) {
            throw Errors::invalid('RevoltLoop needs revolt/event-loop: the class Revolt\EventLoop is not loaded');
        }
    }

    public function onReadable($stream, callable $callback): string
    {
        return \Revolt\EventLoop::onReadable($stream, static function () use ($callback): void {
            $callback();
        });
    }

    public function delay(float $seconds, callable $callback): string
    {
        return \Revolt\EventLoop::delay(max(0.0, $seconds), static function () use ($callback): void {
            $callback();
        });
    }

    public function cancel(string $id): void
    {
        \Revolt\EventLoop::cancel($id);
    }
}
