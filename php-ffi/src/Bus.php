<?php

declare(strict_types=1);

namespace SkypeBus;

use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Internal\CallOptions;
use SkypeBus\Internal\Codec;
use SkypeBus\Internal\Errors;

/**
 * A connection to a D-Bus bus (or to a peer), over libskypebus.
 *
 *     $bus = Bus::session();
 *     [$id] = $bus->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetId');
 *     $dbus = $bus->proxy('org.freedesktop.DBus', '/org/freedesktop/DBus');
 *     $owner = $dbus->GetNameOwner('org.freedesktop.DBus');
 *
 * The C connection is freed by close() or when the object goes away. The library drives the
 * connection in the background, so it stays healthy while PHP is busy elsewhere. A Bus cannot be
 * cloned or serialized. After fork(), open a new Bus in the child.
 */
final class Bus
{
    private const PROPERTIES = 'org.freedesktop.DBus.Properties';

    /** @var \FFI */
    private $ffi;

    /** @var \FFI\CData|null skypebus_connection*, null once closed */
    private $handle;

    private function __construct(\FFI $ffi, \FFI\CData $handle)
    {
        $this->ffi = $ffi;
        $this->handle = $handle;
    }

    /** Connects to the session bus (DBUS_SESSION_BUS_ADDRESS). */
    public static function session(): self
    {
        return self::connect('session');
    }

    /** Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS, else /run/dbus/system_bus_socket). */
    public static function system(): self
    {
        return self::connect('system');
    }

    /**
     * Connects to a bus by its D-Bus address ("unix:path=/run/user/1000/bus",
     * "unix:abstract=...", "tcp:host=...,port=..." where the server accepts ANONYMOUS), or to
     * "session" or "system".
     *
     * @throws Exception\ConnectFailedException|InvalidArgumentException
     */
    public static function connect(string $address): self
    {
        if ($address === '') {
            throw new InvalidArgumentException('The bus address is empty', 'net.skypebus.Error.InvalidName', Errors::INVALID_NAME);
        }
        $ffi = Library::ffi();
        $connection = $ffi->new('skypebus_connection*');
        $error = $ffi->new('skypebus_error*');
        Library::check($ffi, $ffi->skypebus_connection_open($address, \FFI::addr($connection), \FFI::addr($error)), $error);
        return new self($ffi, $connection);
    }

    /**
     * Calls a method and returns the list of the reply's values (empty for none).
     *
     * With no signature the library finds one (introspection, then inference); give one to be
     * exact. Typed values (SkypeBus\Type\*) fix the type of a single value. $options: 'timeout'
     * (seconds, default 25), 'variants' => 'typed' (variants come back as Variant objects
     * instead of their values), 'noReply' => true (do not wait; returns []).
     *
     * @param string $destination a bus name; '' for none (peer-to-peer connections)
     * @param list<mixed> $args
     * @param array<string, mixed> $options
     * @return list<mixed>
     * @throws DBusException|InvalidArgumentException
     */
    public function call(
        string $destination,
        string $path,
        ?string $interface,
        string $method,
        array $args = [],
        ?string $signature = null,
        array $options = []
    ): array {
        $checked = CallOptions::fromArray($options);
        $reply = $this->send(Codec::encodeCall($destination, $path, $interface, $method, $args, $signature, $checked));
        return $checked->noReply ? [] : Codec::decodeReply($reply, $checked->typedVariants);
    }

    /**
     * An object of a peer, whose methods are PHP methods and whose properties are PHP
     * properties: $proxy->Notify(...), $proxy->Volume, $proxy->Volume = 0.5.
     *
     * @param string|null $interface the interface of the methods and properties; null finds each
     *                               member's interface in the introspection data
     * @param array<string, mixed> $options call options for every method call of the proxy
     */
    public function proxy(string $destination, string $path, ?string $interface = null, array $options = []): Proxy
    {
        CallOptions::fromArray($options);
        return new Proxy($this, $destination, $path, $interface, $options);
    }

    /**
     * Sets the timeout of the calls that do not give the 'timeout' option (initially 25 s).
     *
     * @param float $seconds greater than 0
     */
    public function setTimeout(float $seconds): void
    {
        $milliseconds = CallOptions::fromArray(['timeout' => $seconds])->timeoutMs;
        $error = $this->ffi->new('skypebus_error*');
        Library::check($this->ffi, $this->ffi->skypebus_connection_set_timeout($this->handle(), $milliseconds, \FFI::addr($error)), $error);
    }

    /** The unique name of this connection on the bus, such as ":1.42". */
    public function getUniqueName(): string
    {
        $out = $this->ffi->new('char*');
        $error = $this->ffi->new('skypebus_error*');
        Library::check(
            $this->ffi,
            $this->ffi->skypebus_connection_unique_name($this->handle(), \FFI::addr($out), \FFI::addr($error)),
            $error
        );
        return $this->takeString($out);
    }

    /**
     * A property's value (org.freedesktop.DBus.Properties.Get).
     *
     * @param array<string, mixed> $options as for call()
     * @return mixed
     */
    public function getProperty(string $destination, string $path, string $interface, string $name, array $options = [])
    {
        return $this->call($destination, $path, self::PROPERTIES, 'Get', [$interface, $name], 'ss', $options)[0];
    }

    /**
     * Sets a property (org.freedesktop.DBus.Properties.Set). The value travels in a variant: give
     * a typed value (new UInt32(7), new Variant('d', 0.5)) when the property's type is not the
     * one a plain PHP value infers to; proxies look the type up for you.
     *
     * @param mixed $value
     * @param array<string, mixed> $options as for call()
     */
    public function setProperty(string $destination, string $path, string $interface, string $name, $value, array $options = []): void
    {
        $this->call($destination, $path, self::PROPERTIES, 'Set', [$interface, $name, $value], 'ssv', $options);
    }

    /**
     * All properties of an interface as name => value (org.freedesktop.DBus.Properties.GetAll).
     *
     * @param array<string, mixed> $options as for call()
     * @return array<string, mixed>
     */
    public function getAllProperties(string $destination, string $path, string $interface, array $options = []): array
    {
        return $this->call($destination, $path, self::PROPERTIES, 'GetAll', [$interface], 's', $options)[0];
    }

    /** Closes the connection; calls afterwards throw DisconnectedException. Idempotent. */
    public function close(): void
    {
        if ($this->handle !== null) {
            $handle = $this->handle;
            $this->handle = null;
            $this->ffi->skypebus_connection_free($handle);
        }
    }

    public function isClosed(): bool
    {
        return $this->handle === null;
    }

    public function __destruct()
    {
        $this->close();
    }

    public function __sleep(): array
    {
        throw new \LogicException('A SkypeBus\Bus cannot be serialized');
    }

    public function __wakeup(): void
    {
        throw new \LogicException('A SkypeBus\Bus cannot be unserialized');
    }

    private function __clone()
    {
    }

    /**
     * One skypebus_call: request JSON in, reply JSON out.
     */
    private function send(string $request): string
    {
        $out = $this->ffi->new('char*');
        $error = $this->ffi->new('skypebus_error*');
        Library::check($this->ffi, $this->ffi->skypebus_call($this->handle(), $request, \FFI::addr($out), \FFI::addr($error)), $error);
        return $this->takeString($out);
    }

    /** Copies a string the library returned ('' for NULL) and frees it. */
    private function takeString(\FFI\CData $out): string
    {
        if (\FFI::isNull($out)) {
            return '';
        }
        try {
            return \FFI::string($out);
        } finally {
            $this->ffi->skypebus_string_free($out);
        }
    }

    private function handle(): \FFI\CData
    {
        if ($this->handle === null) {
            throw Errors::closed();
        }
        return $this->handle;
    }
}
