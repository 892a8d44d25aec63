<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Signal;

/**
 * Who a caller is, for IncomingCall::getCredentials(): the bus's
 * org.freedesktop.DBus.GetConnectionCredentials of the caller's unique name, asked on first
 * request and cached per unique name until the caller disconnects (its NameOwnerChanged with no
 * new owner, followed from the first request on) or the cache is full (the oldest go first).
 *
 * @internal
 */
final class Credentials
{
    /** Most callers whose credentials are kept. */
    private const LIMIT = 1024;

    /** @var Calls */
    private $calls;

    /** @var Signals */
    private $signals;

    /** @var int|null the subscription to disconnections */
    private $watch;

    /** @var array<string, array<string, mixed>> unique name => credentials */
    private $cache = [];

    public function __construct(Calls $calls, Signals $signals)
    {
        $this->calls = $calls;
        $this->signals = $signals;
    }

    /**
     * The credentials of the connection $uniqueName: 'uid' and 'pid' (int, null when the bus
     * does not tell), 'groups' (list of int, null when not told), 'securityLabel' (string or
     * null), and 'all', every credential the bus gave, by its D-Bus name.
     *
     * @return array{uid: int|null, pid: int|null, groups: list<int>|null, securityLabel: string|null, all: array<string, mixed>}
     * @throws DBusException|InvalidArgumentException
     */
    public function of(string $uniqueName): array
    {
        if ($uniqueName === '' || $uniqueName[0] !== ':') {
            throw Errors::invalid(sprintf('Credentials are those of a unique name (":1.42"), not "%s"', $uniqueName));
        }
        if (isset($this->cache[$uniqueName])) {
            return $this->cache[$uniqueName];
        }
        if ($this->watch === null) {
            // Followed before the first answer is cached, so no disconnection is missed.
            $this->watch = $this->signals->listen([
                'sender' => 'org.freedesktop.DBus',
                'path' => '/org/freedesktop/DBus',
                'interface' => 'org.freedesktop.DBus',
                'member' => 'NameOwnerChanged',
                'arg2' => '',
            ], function (Signal $signal): void {
                $name = $signal->getArg(0);
                if (is_string($name)) {
                    unset($this->cache[$name]);
                }
            });
        }
        [$all] = $this->calls->call(
            new CallTarget('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetConnectionCredentials', 's'),
            [$uniqueName],
            CallOptions::defaults()
        );
        $all = (array) $all;
        $groups = $all['UnixGroupIDs'] ?? null;
        $label = $all['LinuxSecurityLabel'] ?? null;
        $credentials = [
            'uid' => isset($all['UnixUserID']) ? (int) $all['UnixUserID'] : null,
            'pid' => isset($all['ProcessID']) ? (int) $all['ProcessID'] : null,
            'groups' => is_array($groups) ? array_map('intval', array_values($groups)) : null,
            // The label is a NUL-terminated byte string.
            'securityLabel' => is_string($label) ? rtrim($label, "\0") : null,
            'all' => $all,
        ];
        if (count($this->cache) >= self::LIMIT) {
            unset($this->cache[array_key_first($this->cache)]);
        }
        return $this->cache[$uniqueName] = $credentials;
    }

    /** How many callers' credentials are cached. */
    public function cached(): int
    {
        return count($this->cache);
    }

    /** Forgets everything (the connection closed). */
    public function reset(): void
    {
        $this->cache = [];
        $this->watch = null;
    }
}
