<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Bus;
use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\SkypeBusException;
use SkypeBus\Signal;
use SkypeBus\Subscription;

/**
 * Bus's signals: the subscriptions (id => whether their variants come typed), the listeners of
 * some of them (handlers run by the event loop: Proxy::on(), watchName(), ObjectTree, cached
 * properties, credentials), emitting, turning a signal event into a Signal, and the signals the
 * event loop took while serving, kept on the PHP side for nextSignal() (bounded; the oldest are
 * dropped and counted).
 *
 * @internal
 */
final class Signals
{
    /** Signals kept on the PHP side by default. */
    public const LIMIT = 4096;

    /** @var Connection */
    private $connection;

    /** @var array<int, bool> active subscription id => typed variants */
    private $subscriptions = [];

    /** @var array<int, callable(Signal): void> subscription id => the listener that takes its signals */
    private $listeners = [];

    /** @var \SplQueue<Signal> signals taken while serving, kept for nextSignal() */
    private $kept;

    /** @var int */
    private $limit = self::LIMIT;

    /** @var int signals dropped from $kept because it was full */
    private $dropped = 0;

    public function __construct(Connection $connection)
    {
        $this->connection = $connection;
        $this->kept = new \SplQueue();
    }

    /**
     * Bus::subscribe(), documented there.
     *
     * @param array<string, string> $match
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function subscribe(Bus $bus, array $match): Subscription
    {
        return new Subscription($bus, $this->add($match), $match);
    }

    /**
     * Subscribes with a listener: the signals of this subscription go to $listener when the
     * event loop takes them (process(), serve(), nextSignal()), not to nextSignal(). Returns the
     * subscription id (end it with unsubscribe()).
     *
     * @param array<string, string> $match
     * @param callable(Signal): void $listener
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function listen(array $match, callable $listener): int
    {
        $id = $this->add($match);
        $this->listeners[$id] = $listener;
        return $id;
    }

    /**
     * Runs the listeners of the subscriptions $signal matched; true when it also matched a
     * subscription without a listener (it is then for nextSignal()).
     */
    public function dispatch(Signal $signal): bool
    {
        $forPuller = false;
        foreach ($signal->getSubscriptions() as $id) {
            $listener = $this->listeners[$id] ?? null;
            if ($listener !== null) {
                $listener($signal);
            } elseif (isset($this->subscriptions[$id])) {
                $forPuller = true;
            }
        }
        return $forPuller;
    }

    /**
     * @param array<string, string> $match
     * @throws InvalidArgumentException|SkypeBusException
     */
    private function add(array $match): int
    {
        $request = [];
        $typed = false;
        foreach ($match as $key => $value) {
            $key = (string) $key;
            if ($key === 'variants') {
                if ($value !== 'typed' && $value !== 'plain') {
                    throw Errors::invalid('The match key "variants" must be "typed" or "plain"');
                }
                $typed = $value === 'typed';
                continue;
            }
            if ($key === 'bytes') {
                throw Errors::invalid('The match key "bytes" is not for PHP: "ay" values always come as binary strings');
            }
            if (!is_string($value)) {
                throw Errors::invalid(sprintf('The match key "%s" must be a string, %s given', $key, Values::describe($value)));
            }
            $request[$key] = $value;
        }
        $request['variants'] = 'typed';
        $request['bytes'] = 'base64';
        $this->connection->ensurePrivate();
        $id = $this->connection->native->subscribe($this->connection->handle(), RequestEncoder::encode((object) $request));
        $this->subscriptions[$id] = $typed;
        return $id;
    }

    /**
     * Ends a subscription; nothing when it is not active or the connection is closed.
     *
     * @throws SkypeBusException
     */
    public function unsubscribe(int $id): void
    {
        $handle = $this->connection->handle;
        if (!isset($this->subscriptions[$id]) || $handle === null) {
            return;
        }
        unset($this->subscriptions[$id], $this->listeners[$id]);
        $this->connection->native->unsubscribe($handle, $id);
    }

    /**
     * Bus::emit(), documented there.
     *
     * @param list<mixed> $args
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function emit(string $path, string $interface, string $member, array $args, ?string $signature, ?string $destination): void
    {
        $json = RequestEncoder::encodeSignal($path, $interface, $member, $args, $signature, $destination);
        $this->connection->native->emit($this->connection->handle(), $json);
        if ($this->connection->tracer !== null) {
            $this->connection->tracer->emitted($path, $interface, $member, $signature, $args, $destination);
        }
    }

    /**
     * The Signal of a signal event; a signal whose values cannot be decoded carries the
     * problem instead of its arguments.
     *
     * @param array<string, mixed> $event
     */
    public function signalOf(array $event): Signal
    {
        $ids = [];
        foreach ((array) ($event['subscriptions'] ?? []) as $id) {
            $ids[] = (int) $id;
        }
        $typed = $ids !== [] && ($this->subscriptions[min($ids)] ?? false);
        $signature = (string) ($event['type'] ?? '');
        $args = [];
        $problem = null;
        if (isset($event['error']) && is_array($event['error'])) {
            $problem = (string) ($event['error']['message'] ?? 'the signal could not be decoded');
        } else {
            try {
                $data = $event['data'] ?? [];
                $args = ReplyDecoder::decodeValues(is_array($data) ? $data : [], $signature, $typed);
            } catch (DBusException $e) {
                $problem = $e->getMessage();
            }
        }
        $signal = new Signal(
            (string) ($event['sender'] ?? ''),
            isset($event['destination']) ? (string) $event['destination'] : null,
            (string) ($event['path'] ?? ''),
            (string) ($event['interface'] ?? ''),
            (string) ($event['member'] ?? ''),
            $signature,
            $args,
            $ids,
            $problem
        );
        if ($this->connection->tracer !== null) {
            $this->connection->tracer->signal($signal);
        }
        return $signal;
    }

    /** Keeps a signal taken while serving for nextSignal(), dropping the oldest beyond the limit. */
    public function keep(Signal $signal): void
    {
        $this->kept->enqueue($signal);
        if (count($this->kept) > $this->limit) {
            $this->kept->dequeue();
            $this->dropped++;
        }
    }

    /** The oldest kept signal that still matches an active subscription. */
    public function keptSignal(): ?Signal
    {
        while (!$this->kept->isEmpty()) {
            $signal = $this->kept->dequeue();
            foreach ($signal->getSubscriptions() as $id) {
                if (isset($this->subscriptions[$id])) {
                    return $signal;
                }
            }
        }
        return null;
    }

    /** A new bound of the kept signals (setEventOptions' queueLimit); drops the excess. */
    public function setLimit(int $limit): void
    {
        $this->limit = $limit;
        while (count($this->kept) > $this->limit) {
            $this->kept->dequeue();
            $this->dropped++;
        }
    }

    public function keptCount(): int
    {
        return count($this->kept);
    }

    public function droppedCount(): int
    {
        return $this->dropped;
    }

    /** Forgets the subscriptions and the kept signals (the connection closed). */
    public function reset(): void
    {
        $this->subscriptions = [];
        $this->listeners = [];
        $this->kept = new \SplQueue();
    }
}
