<?php

declare(strict_types=1);

namespace SkypeBus;

/**
 * The method call an exported object's handler is answering, from Bus::currentCall() while
 * the handler runs: who called, and the exact interface and member.
 */
final class IncomingCall
{
    /** @var string */
    private $sender;

    /** @var string */
    private $path;

    /** @var string */
    private $interface;

    /** @var string */
    private $member;

    /** @var string */
    private $signature;

    /** @var bool */
    private $noReply;

    /**
     * @internal made by Bus
     */
    public function __construct(string $sender, string $path, string $interface, string $member, string $signature, bool $noReply)
    {
        $this->sender = $sender;
        $this->path = $path;
        $this->interface = $interface;
        $this->member = $member;
        $this->signature = $signature;
        $this->noReply = $noReply;
    }

    /** The caller's unique name, such as ":1.42". */
    public function getSender(): string
    {
        return $this->sender;
    }

    public function getPath(): string
    {
        return $this->path;
    }

    /** The interface the call was resolved to (also when the caller sent none). */
    public function getInterface(): string
    {
        return $this->interface;
    }

    public function getMember(): string
    {
        return $this->member;
    }

    /** The signature of the call's arguments. */
    public function getSignature(): string
    {
        return $this->signature;
    }

    /** True when the caller asked for no reply (then the return value is not sent). */
    public function isNoReply(): bool
    {
        return $this->noReply;
    }
}
