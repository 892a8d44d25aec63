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

    /** @var \Closure|null unique name => credentials (Bus's cache), null outside a Bus */
    private $credentials;

    /**
     * @internal made by Bus
     */
    public function __construct(
        string $sender,
        string $path,
        string $interface,
        string $member,
        string $signature,
        bool $noReply,
        ?\Closure $credentials = null
    ) {
        $this->credentials = $credentials;
        $this->sender = $sender;
        $this->path = $path;
        $this->interface = $interface;
        $this->member = $member;
        $this->signature = $signature;
        $this->noReply = $noReply;
    }

    /**
     * Who the caller is, asked of the bus (org.freedesktop.DBus.GetConnectionCredentials) on the
     * first request and cached per caller until it disconnects: 'uid' and 'pid' (int; null when
     * the bus does not tell, as over tcp), 'groups' (list of int or null), 'securityLabel'
     * (string or null), and 'all', every credential the bus gave by its D-Bus name. For a
     * service that authorizes its callers:
     *
     *     if ($bus->currentCall()->getCredentials()['uid'] !== 0) {
     *         throw new DBusException('org.freedesktop.DBus.Error.AccessDenied', 'root only');
     *     }
     *
     * @return array{uid: int|null, pid: int|null, groups: list<int>|null, securityLabel: string|null, all: array<string, mixed>}
     * @throws Exception\DBusException|Exception\InvalidArgumentException
     */
    public function getCredentials(): array
    {
        if ($this->credentials === null) {
            throw new \LogicException('This IncomingCall was not made by a Bus: it has no bus to ask for credentials');
        }
        return ($this->credentials)($this->sender);
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
