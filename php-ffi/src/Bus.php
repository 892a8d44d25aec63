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
    /** @var \FFI */
    private $ffi;

    /** @var \FFI\CData|null skypebus_connection*, null once closed */
    private $handle;

    /** @var string */
    private $address;

    private function __construct(\FFI $ffi, \FFI\CData $handle, string $address)
    {
        $this->ffi = $ffi;
        $this->handle = $handle;
        $this->address = $address;
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
     * The connection is shared: every Bus of one address in a process uses one connection (one
     * unique name), and close() releases only this handle. Use connectPrivate() for a
     * connection of your own.
     *
     * @throws Exception\ConnectFailedException|InvalidArgumentException
     */
    public static function connect(string $address): self
    {
        return self::open('skypebus_connection_open', $address);
    }

    /**
     * Connects like connect(), but to a connection of this Bus alone, with its own unique name:
     * for owning names, for a timeout of its own, or to keep other code's traffic apart.
     *
     * @throws Exception\ConnectFailedException|InvalidArgumentException
     */
    public static function connectPrivate(string $address): self
    {
        return self::open('skypebus_connection_open_private', $address);
    }

    private static function open(string $function, string $address): self
    {
        if ($address === '') {
            throw new InvalidArgumentException('The bus address is empty', 'net.skypebus.Error.InvalidName', Errors::INVALID_NAME);
        }
        $ffi = Library::ffi();
        $connection = $ffi->new('skypebus_connection*');
        $error = $ffi->new('skypebus_error*');
        Library::check($ffi, $ffi->{$function}($address, \FFI::addr($connection), \FFI::addr($error)), $error);
        return new self($ffi, $connection, $address);
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
        $reply = $this->request('skypebus_call', Codec::encodeCall($destination, $path, $interface, $method, $args, $signature, $checked));
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
     * Sets the timeout of the calls that do not give the 'timeout' option (initially 25 s). On
     * a shared connection (connect()) this is the timeout of every Bus of that address.
     *
     * @param float $seconds greater than 0
     */
    public function setTimeout(float $seconds): void
    {
        $milliseconds = CallOptions::fromArray(['timeout' => $seconds])->timeoutMs;
        $error = $this->ffi->new('skypebus_error*');
        Library::check($this->ffi, $this->ffi->skypebus_connection_set_timeout($this->handle(), $milliseconds, \FFI::addr($error)), $error);
    }

    /** The address this Bus was opened with: "session", "system", or a D-Bus address. */
    public function getAddress(): string
    {
        return $this->address;
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
        return Library::takeString($this->ffi, $out);
    }

    /**
     * A property's value (org.freedesktop.DBus.Properties.Get).
     *
     * @param array<string, mixed> $options 'timeout', 'variants' as for call()
     * @return mixed
     */
    public function getProperty(string $destination, string $path, string $interface, string $name, array $options = [])
    {
        return $this->properties('get', $destination, $path, $interface, $name, null, null, $options);
    }

    /**
     * Sets a property (org.freedesktop.DBus.Properties.Set). The value travels in a variant of
     * the property's type: $signature if given, else the type the peer's introspection data
     * declares, else the type the value infers to. So 7 set on a "u" property is sent as "u".
     *
     * @param mixed $value
     * @param array<string, mixed> $options 'timeout' as for call()
     */
    public function setProperty(
        string $destination,
        string $path,
        string $interface,
        string $name,
        $value,
        ?string $signature = null,
        array $options = []
    ): void {
        $this->properties('set', $destination, $path, $interface, $name, $value, $signature, $options);
    }

    /**
     * All properties of an interface as name => value (org.freedesktop.DBus.Properties.GetAll).
     *
     * @param array<string, mixed> $options 'timeout', 'variants' as for call()
     * @return array<string, mixed>
     */
    public function getAllProperties(string $destination, string $path, string $interface, array $options = []): array
    {
        return $this->properties('get_all', $destination, $path, $interface, null, null, null, $options);
    }

    /**
     * An object's introspection data: its interfaces with their methods (in and out
     * signatures, argument names), properties (type, access) and signals, and its child nodes,
     * as the arrays of docs/introspection.md:
     *
     *     ['destination' => ..., 'path' => ..., 'interfaces' => [['name' => ..., 'methods' => [
     *         ['name' => 'Notify', 'in_signature' => 'susssasa{sv}i', 'out_signature' => 'u', 'in' => [...], 'out' => [...]],
     *     ], 'properties' => [['name' => ..., 'type' => ..., 'access' => ...]], 'signals' => [...]]], 'nodes' => [...]]
     *
     * @param array<string, mixed> $options 'timeout' as for call()
     * @return array<string, mixed>
     */
    public function introspect(string $destination, string $path, array $options = []): array
    {
        $unknown = array_diff(array_keys($options), ['timeout']);
        if ($unknown !== []) {
            throw new InvalidArgumentException(
                sprintf('Unknown introspect option "%s"; the option is: timeout', (string) reset($unknown)),
                'net.skypebus.Error.InvalidRequest',
                Errors::INVALID_REQUEST
            );
        }
        $checked = CallOptions::fromArray($options);
        $request = ['path' => $path];
        if ($destination !== '') {
            $request = ['destination' => $destination] + $request;
        }
        if ($checked->timeoutMs !== null) {
            $request['timeout_ms'] = $checked->timeoutMs;
        }
        $data = json_decode($this->request('skypebus_introspect', Codec::encode($request)), true);
        return is_array($data) ? $data : [];
    }

    /**
     * True when this Bus is a handle to the connection shared by every Bus of its address in
     * this process (connect(), session(), system()), false for connectPrivate().
     */
    public function isShared(): bool
    {
        return (bool) $this->ffi->skypebus_connection_is_shared($this->handle());
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
     * @param mixed $value
     * @param array<string, mixed> $options
     * @return mixed
     */
    private function properties(
        string $op,
        string $destination,
        string $path,
        string $interface,
        ?string $name,
        $value,
        ?string $signature,
        array $options
    ) {
        $checked = CallOptions::fromArray($options);
        $reply = $this->request(
            'skypebus_properties',
            Codec::encodeProperties($op, $destination, $path, $interface, $name, $value, $signature, $checked)
        );
        return $op === 'set' ? null : Codec::decodeValue($reply, $checked->typedVariants);
    }

    /**
     * One request to a library function of the form
     * f(conn, const char *request_json, char **reply_out, skypebus_error **err): skypebus_call,
     * skypebus_properties, skypebus_introspect.
     */
    private function request(string $function, string $json): string
    {
        $out = $this->ffi->new('char*');
        $error = $this->ffi->new('skypebus_error*');
        Library::check($this->ffi, $this->ffi->{$function}($this->handle(), $json, \FFI::addr($out), \FFI::addr($error)), $error);
        return Library::takeString($this->ffi, $out);
    }

    private function handle(): \FFI\CData
    {
        if ($this->handle === null) {
            throw Errors::closed();
        }
        return $this->handle;
    }
}
