<?php

declare(strict_types=1);

namespace SkypeBus\EventLoop;

/**
 * The little an event loop must offer to drive a Bus: a watcher for a readable stream and a
 * one-shot timer. Dependency-free: implement it over any loop (stream_select, Swoole, GLib...),
 * or use the adapters AmpLoop (Amp 2), RevoltLoop (Revolt: Amp 3, ReactPHP >= 1.4 share it)
 * and ReactLoop (ReactPHP's LoopInterface). BusWatcher uses it.
 */
interface LoopInterface
{
    /**
     * Calls $callback() whenever $stream is readable (level-triggered: again and again while
     * it stays readable), until cancel($id). Returns the watcher's id.
     *
     * @param resource $stream
     * @param callable(): mixed $callback
     */
    public function onReadable($stream, callable $callback): string;

    /**
     * Calls $callback() once, $seconds from now, unless cancel($id) comes first. Returns the
     * timer's id.
     *
     * @param callable(): mixed $callback
     */
    public function delay(float $seconds, callable $callback): string;

    /** Stops a watcher or a timer; an unknown or finished id is ignored. */
    public function cancel(string $id): void;
}
