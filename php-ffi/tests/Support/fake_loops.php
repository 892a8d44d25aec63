<?php

/**
 * In-test event loops with the methods the Revolt and ReactPHP adapters call, for the tests of
 * those adapters where the real packages are not installed (Debian has neither): a global
 * Revolt\EventLoop (onReadable, delay, cancel) and a React\EventLoop\Loop::get() whose loop
 * implements React\EventLoop\LoopInterface (addReadStream, removeReadStream, addTimer,
 * cancelTimer), both over one stream_select() core. Declared only when the real classes are
 * absent.
 */

declare(strict_types=1);

namespace SkypeBus\Tests\Support {

    /** The stream_select() core of both loops. */
    final class FakeLoopCore
    {
        /** @var array<string, array{0: resource, 1: callable}> */
        public $readers = [];

        /** @var array<string, array{0: float, 1: callable}> */
        public $timers = [];

        /** @var int */
        private $next = 0;

        public function id(): string
        {
            return 'w' . (++$this->next);
        }

        /** Runs one turn: waits up to $max seconds for a stream or the next timer, runs what is due. */
        public function tick(float $max): void
        {
            $now = microtime(true);
            $wait = $max;
            foreach ($this->timers as [$at]) {
                $wait = min($wait, max(0.0, $at - $now));
            }
            $read = [];
            foreach ($this->readers as [$stream]) {
                $read[] = $stream;
            }
            if ($read !== []) {
                $none = null;
                stream_select($read, $none, $none, (int) $wait, (int) (fmod($wait, 1.0) * 1e6));
            } else {
                usleep((int) ($wait * 1e6));
            }
            foreach ($this->readers as $id => [$stream, $callback]) {
                if (in_array($stream, $read, true) && isset($this->readers[$id])) {
                    $callback($id, $stream);
                }
            }
            $now = microtime(true);
            foreach ($this->timers as $id => [$at, $callback]) {
                if ($at <= $now && isset($this->timers[$id])) {
                    unset($this->timers[$id]);
                    $callback($id);
                }
            }
        }
    }

    final class FakeLoops
    {
        /** @var FakeLoopCore|null */
        public static $core;

        public static function core(): FakeLoopCore
        {
            return self::$core ?? (self::$core = new FakeLoopCore());
        }

        /**
         * Turns the loop of $kind ('revolt' or 'react') until $done() or $timeout seconds.
         *
         * @param callable(): bool $done
         */
        public static function run(string $kind, callable $done, float $timeout): void
        {
            $deadline = microtime(true) + $timeout;
            while (!$done() && microtime(true) < $deadline) {
                self::core()->tick(0.2);
            }
        }
    }
}

namespace Revolt {

    use SkypeBus\Tests\Support\FakeLoops;

    if (!class_exists('Revolt\EventLoop', false)) {
        final class EventLoop
        {
            /** @param resource $stream */
            public static function onReadable($stream, \Closure $closure): string
            {
                $id = FakeLoops::core()->id();
                FakeLoops::core()->readers[$id] = [$stream, $closure];
                return $id;
            }

            public static function delay(float $delay, \Closure $closure): string
            {
                $id = FakeLoops::core()->id();
                FakeLoops::core()->timers[$id] = [microtime(true) + $delay, $closure];
                return $id;
            }

            public static function cancel(string $callbackId): void
            {
                unset(FakeLoops::core()->readers[$callbackId], FakeLoops::core()->timers[$callbackId]);
            }
        }
    }
}

namespace React\EventLoop {

    use SkypeBus\Tests\Support\FakeLoops;

    if (!interface_exists('React\EventLoop\LoopInterface', false)) {
        interface TimerInterface
        {
        }

        interface LoopInterface
        {
            /** @param resource $stream */
            public function addReadStream($stream, callable $listener);

            /** @param resource $stream */
            public function removeReadStream($stream);

            public function addTimer($interval, $callback);

            public function cancelTimer(TimerInterface $timer);
        }

        final class FakeTimer implements TimerInterface
        {
            /** @var string */
            public $id;

            public function __construct(string $id)
            {
                $this->id = $id;
            }
        }

        final class FakeLoop implements LoopInterface
        {
            /** @var array<int, string> stream id => watcher id */
            private $streams = [];

            public function addReadStream($stream, callable $listener)
            {
                $id = FakeLoops::core()->id();
                FakeLoops::core()->readers[$id] = [$stream, static function ($watcher, $stream) use ($listener): void {
                    $listener($stream);
                }];
                $this->streams[(int) $stream] = $id;
            }

            public function removeReadStream($stream)
            {
                $id = $this->streams[(int) $stream] ?? null;
                if ($id !== null) {
                    unset(FakeLoops::core()->readers[$id], $this->streams[(int) $stream]);
                }
            }

            public function addTimer($interval, $callback)
            {
                $id = FakeLoops::core()->id();
                $timer = new FakeTimer($id);
                FakeLoops::core()->timers[$id] = [microtime(true) + (float) $interval, static function () use ($callback, $timer): void {
                    $callback($timer);
                }];
                return $timer;
            }

            public function cancelTimer(TimerInterface $timer)
            {
                if ($timer instanceof FakeTimer) {
                    unset(FakeLoops::core()->timers[$timer->id]);
                }
            }
        }

        final class Loop
        {
            /** @var LoopInterface|null */
            private static $loop;

            public static function get(): LoopInterface
            {
                return self::$loop ?? (self::$loop = new FakeLoop());
            }
        }
    }
}
