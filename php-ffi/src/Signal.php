<?php

declare(strict_types=1);

namespace SkypeBus;

/**
 * A signal received through one or more subscriptions (Bus::subscribe()), taken with
 * Bus::nextSignal() or Bus::signals(). Its arguments are PHP values as for call() replies:
 * "ay" as binary strings, "t" above PHP_INT_MAX as decimal strings, variants as their values
 * (or Variant objects when the oldest matching subscription asked for 'variants' => 'typed').
 */
final class Signal
{
    /** @var string */
    private $sender;

    /** @var string|null */
    private $destination;

    /** @var string */
    private $path;

    /** @var string */
    private $interface;

    /** @var string */
    private $member;

    /** @var string */
    private $signature;

    /** @var list<mixed> */
    private $args;

    /** @var list<int> */
    private $subscriptions;

    /** @var string|null */
    private $error;

    /**
     * @internal made by Bus
     * @param list<mixed> $args
     * @param list<int> $subscriptions
     */
    public function __construct(
        string $sender,
        ?string $destination,
        string $path,
        string $interface,
        string $member,
        string $signature,
        array $args,
        array $subscriptions,
        ?string $error = null
    ) {
        $this->sender = $sender;
        $this->destination = $destination;
        $this->path = $path;
        $this->interface = $interface;
        $this->member = $member;
        $this->signature = $signature;
        $this->args = $args;
        $this->subscriptions = $subscriptions;
        $this->error = $error;
    }

    /** The sender's unique name (":1.42"), or "org.freedesktop.DBus" for the bus driver. */
    public function getSender(): string
    {
        return $this->sender;
    }

    /** The destination of a unicast signal (our unique name); null for a broadcast. */
    public function getDestination(): ?string
    {
        return $this->destination;
    }

    public function getPath(): string
    {
        return $this->path;
    }

    public function getInterface(): string
    {
        return $this->interface;
    }

    public function getMember(): string
    {
        return $this->member;
    }

    /** The D-Bus signature of the arguments, such as "sss" ("" for none). */
    public function getSignature(): string
    {
        return $this->signature;
    }

    /**
     * The arguments as PHP values, in order.
     *
     * @return list<mixed>
     */
    public function getArgs(): array
    {
        return $this->args;
    }

    /**
     * One argument, or null when there is no such argument.
     *
     * @return mixed
     */
    public function getArg(int $index)
    {
        return $this->args[$index] ?? null;
    }

    /**
     * The ids of every subscription of ours the signal matched (it arrives once even when
     * several match).
     *
     * @return list<int>
     */
    public function getSubscriptions(): array
    {
        return $this->subscriptions;
    }

    /** True when the signal matched that subscription. */
    public function matches(Subscription $subscription): bool
    {
        return in_array($subscription->id(), $this->subscriptions, true);
    }

    /**
     * Why the arguments could not be decoded (then getArgs() is empty); null normally.
     */
    public function getDecodeError(): ?string
    {
        return $this->error;
    }
}
