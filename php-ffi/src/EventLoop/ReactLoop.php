<?php

declare(strict_types=1);

namespace SkypeBus\EventLoop;

use SkypeBus\Internal\Errors;

/**
 * LoopInterface over a ReactPHP loop (React\EventLoop\LoopInterface: addReadStream(),
 * addTimer()). Needs react/event-loop at run time only: the skypebus package does not require
 * it.
 */
final class ReactLoop implements LoopInterface
{
    /** @var object React\EventLoop\LoopInterface */
    private $loop;

    /** @var array<string, array{0: string, 1: mixed}> id => ['stream', resource] or ['timer', TimerInterface] */
    private $watchers = [];

    /** @var int */
    private $next = 0;

    /**
     * @param object $loop a React\EventLoop\LoopInterface (React\EventLoop\Loop::get())
     * @throws \SkypeBus\Exception\InvalidArgumentException when $loop is not one
     */
    public function __construct(object $loop)
    {
        if (!interface_exists('React\EventLoop\LoopInterface') || !is_a($loop, 'React\EventLoop\LoopInterface')) {
            throw Errors::invalid(sprintf(
                'ReactLoop needs a React\EventLoop\LoopInterface (react/event-loop), %s given',
                get_class($loop)
            ));
        }
        $this->loop = $loop;
    }

    public function onReadable($stream, callable $callback): string
    {
        $id = 'r' . (++$this->next);
        $this->loop->addReadStream($stream, static function () use ($callback): void {
            $callback();
        });
        $this->watchers[$id] = ['stream', $stream];
        return $id;
    }

    public function delay(float $seconds, callable $callback): string
    {
        $id = 't' . (++$this->next);
        $timer = $this->loop->addTimer(max(0.0, $seconds), function () use ($id, $callback): void {
            unset($this->watchers[$id]);
            $callback();
        });
        $this->watchers[$id] = ['timer', $timer];
        return $id;
    }

    public function cancel(string $id): void
    {
        if (!isset($this->watchers[$id])) {
            return;
        }
        [$kind, $what] = $this->watchers[$id];
        unset($this->watchers[$id]);
        if ($kind === 'stream') {
            $this->loop->removeReadStream($what);
        } else {
            $this->loop->cancelTimer($what);
        }
    }
}
