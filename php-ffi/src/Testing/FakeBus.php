<?php

declare(strict_types=1);

namespace SkypeBus\Testing;

use SkypeBus\BusInterface;
use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Internal\CallOptions;
use SkypeBus\Internal\Errors;
use SkypeBus\Internal\ResultCode;
use SkypeBus\PreparedCallInterface;
use SkypeBus\Proxy;
use SkypeBus\ProxyInterface;

/**
 * An in-memory bus for an application's own unit tests: no library, no FFI, no dbus-daemon.
 * Script the replies, run the code under test against it (it takes a BusInterface), then look
 * at what it called and emitted.
 *
 *     $bus = new FakeBus();
 *     $bus->on('org.freedesktop.login1', '/org/freedesktop/login1', 'org.freedesktop.login1.Manager', 'CanSuspend', ['yes']);
 *     $bus->on('org.example.App', '/', 'org.example.App', 'Add', function (array $args): array {
 *         return [$args[0] + $args[1]];
 *     });
 *     $bus->on('org.example.App', '/', 'org.example.App', 'Fail', new DBusException('org.example.Error.Nope', 'no'));
 *     $bus->setPropertyValue('org.example.App', '/', 'org.example.App', 'Volume', 0.5);
 *
 *     (new MyApplication($bus))->run();
 *
 *     $bus->calls();      // every call: destination, path, interface, method, args, signature
 *     $bus->emitted();    // every signal emitted: path, interface, member, args, signature, destination
 *
 * A call nobody scripted fails as on a real bus: ServiceUnknownException for an unknown
 * destination, UnknownMethodException for an unknown method. A reply is the list of its values
 * (what Bus::call() returns); a callable gets the call's arguments and returns that list; a
 * Throwable is thrown. proxy() gives a FakeProxy and prepare() a FakePreparedCall, which call
 * through here.
 */
final class FakeBus implements BusInterface
{
    /** @var string */
    private $uniqueName;

    /** @var array<string, list<mixed>|callable|\Throwable> by key(destination, path, interface, method) */
    private $replies = [];

    /** @var array<string, mixed> by key(destination, path, interface, property) */
    private $properties = [];

    /** @var array<string, array<string, mixed>> introspection data by destination and path */
    private $introspection = [];

    /** @var list<array{destination: string, path: string, interface: string|null, method: string, args: list<mixed>, signature: string|null}> */
    private $calls = [];

    /** @var list<array{path: string, interface: string, member: string, args: list<mixed>, signature: string|null, destination: string|null}> */
    private $emitted = [];

    /** @var array<string, string|null> bus name => its owner, set with setNameOwner() */
    private $owners = [];

    /** @var bool */
    private $closed = false;

    public function __construct(string $uniqueName = ':1.1')
    {
        $this->uniqueName = $uniqueName;
    }

    /**
     * Scripts the reply of a method: the list of its values, a callable(array $args) returning
     * that list, or a Throwable to throw. $interface null: the method in any interface.
     *
     * @param list<mixed>|callable|\Throwable $reply
     */
    public function on(string $destination, string $path, ?string $interface, string $method, $reply): self
    {
        if (!is_array($reply) && !is_callable($reply) && !$reply instanceof \Throwable) {
            throw Errors::invalid('FakeBus::on(): the reply is a list of values, a callable or a Throwable');
        }
        $this->replies[self::key($destination, $path, $interface ?? '*', $method)] = $reply;
        return $this;
    }

    /**
     * Sets a property value as the peer has it (what getProperty() then returns).
     *
     * @param mixed $value
     */
    public function setPropertyValue(string $destination, string $path, string $interface, string $name, $value): self
    {
        $this->properties[self::key($destination, $path, $interface, $name)] = $value;
        return $this;
    }

    /**
     * Sets what introspect() returns for an object (the schema arrays of Bus::introspect()).
     *
     * @param array<string, mixed> $data
     */
    public function setIntrospection(string $destination, string $path, array $data): self
    {
        $this->introspection[$destination . "\0" . $path] = $data;
        return $this;
    }

    /**
     * Every call made, in order.
     *
     * @return list<array{destination: string, path: string, interface: string|null, method: string, args: list<mixed>, signature: string|null}>
     */
    public function calls(): array
    {
        return $this->calls;
    }

    /**
     * Every signal emitted, in order.
     *
     * @return list<array{path: string, interface: string, member: string, args: list<mixed>, signature: string|null, destination: string|null}>
     */
    public function emitted(): array
    {
        return $this->emitted;
    }

    public function call(
        string $destination,
        string $path,
        ?string $interface,
        string $method,
        array $args = [],
        ?string $signature = null,
        array $options = []
    ): array {
        $this->assertOpen();
        $checked = CallOptions::fromArray($options);
        if ($args !== [] && array_keys($args) !== range(0, count($args) - 1)) {
            throw Errors::invalid('The arguments of a call must be a list (keys 0..n-1)');
        }
        $this->calls[] = compact('destination', 'path', 'interface', 'method', 'args', 'signature');
        $reply = $this->replies[self::key($destination, $path, $interface ?? '*', $method)]
            ?? $this->replies[self::key($destination, $path, '*', $method)]
            ?? null;
        if ($reply === null) {
            throw $this->unscripted($destination, sprintf(
                'FakeBus: no reply scripted for %s %s %s.%s (FakeBus::on())',
                $destination,
                $path,
                $interface ?? '*',
                $method
            ), 'org.freedesktop.DBus.Error.UnknownMethod');
        }
        if ($reply instanceof \Throwable) {
            throw $reply;
        }
        $values = is_array($reply) ? $reply : $reply($args);
        if (!is_array($values)) {
            throw Errors::invalid(sprintf('FakeBus: the callable of %s must return the list of reply values', $method));
        }
        return $checked->noReply ? [] : array_values($values);
    }

    /**
     * A FakePreparedCall: each call goes through call(), recorded and answered as a call is.
     *
     * @return FakePreparedCall
     */
    public function prepare(
        string $destination,
        string $path,
        ?string $interface,
        string $method,
        ?string $signature = null,
        array $options = []
    ): PreparedCallInterface {
        $this->assertOpen();
        CallOptions::fromArray($options);
        return new FakePreparedCall($this, $destination, $path, $interface, $method, $signature, $options);
    }

    /**
     * @return FakeProxy
     */
    public function proxy(string $destination, string $path, ?string $interface = null, array $options = []): ProxyInterface
    {
        $this->assertOpen();
        $signatures = Proxy::signatures($options['signatures'] ?? []);
        Proxy::cacheOption($options['cacheProperties'] ?? false);
        unset($options['signatures'], $options['cacheProperties']);
        CallOptions::fromArray($options);
        return new FakeProxy($this, $destination, $path, $interface, $options, $signatures);
    }

    public function getProperty(string $destination, string $path, string $interface, string $name, array $options = [])
    {
        $this->assertOpen();
        CallOptions::fromArray($options);
        $key = self::key($destination, $path, $interface, $name);
        if (!array_key_exists($key, $this->properties)) {
            throw $this->unscripted($destination, sprintf(
                'FakeBus: no property %s.%s at %s %s (FakeBus::setPropertyValue())',
                $interface,
                $name,
                $destination,
                $path
            ), 'org.freedesktop.DBus.Error.UnknownProperty');
        }
        return $this->properties[$key];
    }

    public function setProperty(
        string $destination,
        string $path,
        string $interface,
        string $name,
        $value,
        ?string $signature = null,
        array $options = []
    ): void {
        $this->assertOpen();
        CallOptions::fromArray($options);
        $args = [$interface, $name, $value];
        $method = 'Set';
        $this->calls[] = ['destination' => $destination, 'path' => $path, 'interface' => 'org.freedesktop.DBus.Properties', 'method' => $method, 'args' => $args, 'signature' => $signature];
        $this->properties[self::key($destination, $path, $interface, $name)] = $value;
    }

    public function getAllProperties(string $destination, string $path, string $interface, array $options = []): array
    {
        $this->assertOpen();
        CallOptions::fromArray($options);
        $prefix = self::key($destination, $path, $interface, '');
        $all = [];
        foreach ($this->properties as $key => $value) {
            if (strncmp($key, $prefix, strlen($prefix)) === 0) {
                $all[substr($key, strlen($prefix))] = $value;
            }
        }
        return $all;
    }

    public function introspect(string $destination, string $path, array $options = []): array
    {
        $this->assertOpen();
        if (!isset($this->introspection[$destination . "\0" . $path])) {
            throw $this->unscripted($destination, sprintf('FakeBus: no introspection data for %s %s (FakeBus::setIntrospection())', $destination, $path), 'org.freedesktop.DBus.Error.UnknownObject');
        }
        return $this->introspection[$destination . "\0" . $path];
    }

    public function emit(
        string $path,
        string $interface,
        string $member,
        array $args = [],
        ?string $signature = null,
        ?string $destination = null
    ): void {
        $this->assertOpen();
        $this->emitted[] = compact('path', 'interface', 'member', 'args', 'signature', 'destination');
    }

    /**
     * Sets who owns a bus name for nameHasOwner() and getNameOwner() (null: nobody). A name not
     * set is owned by ':1.2' when replies or properties are scripted for it, else by nobody.
     */
    public function setNameOwner(string $name, ?string $owner): self
    {
        $this->owners[$name] = $owner;
        return $this;
    }

    public function nameHasOwner(string $name): bool
    {
        return $this->getNameOwner($name) !== null;
    }

    public function getNameOwner(string $name): ?string
    {
        $this->assertOpen();
        if (array_key_exists($name, $this->owners)) {
            return $this->owners[$name];
        }
        $prefix = $name . "\0";
        foreach (array_merge(array_keys($this->replies), array_keys($this->properties)) as $key) {
            if (strncmp($key, $prefix, strlen($prefix)) === 0) {
                return ':1.2';
            }
        }
        return null;
    }

    public function getUniqueName(): string
    {
        $this->assertOpen();
        return $this->uniqueName;
    }

    public function close(): void
    {
        $this->closed = true;
    }

    public function isClosed(): bool
    {
        return $this->closed;
    }

    private function assertOpen(): void
    {
        if ($this->closed) {
            throw Errors::closed();
        }
    }

    /** What a real bus says: no such service when nothing at all is scripted for it. */
    private function unscripted(string $destination, string $message, string $errorName): DBusException
    {
        $known = false;
        foreach (array_merge(array_keys($this->replies), array_keys($this->properties), array_keys($this->introspection)) as $key) {
            if (strncmp($key, $destination . "\0", strlen($destination) + 1) === 0) {
                $known = true;
                break;
            }
        }
        $exception = Errors::exceptionFor(
            ResultCode::DBUS_ERROR,
            $known ? $errorName : 'org.freedesktop.DBus.Error.ServiceUnknown',
            $message
        );
        assert($exception instanceof DBusException);
        return $exception;
    }

    private static function key(string $destination, string $path, string $interface, string $member): string
    {
        return $destination . "\0" . $path . "\0" . $interface . "\0" . $member;
    }
}
