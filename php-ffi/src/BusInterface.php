<?php

declare(strict_types=1);

namespace SkypeBus;

use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\SkypeBusException;

/**
 * What applications call on a bus connection: calls, proxies, properties, introspection and
 * emitting signals. Bus implements it, and so does Testing\FakeBus, the in-memory bus for an
 * application's own unit tests: type-hint BusInterface where a Bus is passed in.
 *
 * The methods mean what Bus documents for them.
 */
interface BusInterface
{
    /**
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
    ): array;

    /**
     * @param array<string, mixed> $options
     * @throws InvalidArgumentException
     */
    public function prepare(
        string $destination,
        string $path,
        ?string $interface,
        string $method,
        ?string $signature = null,
        array $options = []
    ): PreparedCallInterface;

    /**
     * @param array<string, mixed> $options
     * @throws InvalidArgumentException
     */
    public function proxy(string $destination, string $path, ?string $interface = null, array $options = []): ProxyInterface;

    /**
     * @param array<string, mixed> $options
     * @return mixed
     * @throws DBusException|InvalidArgumentException
     */
    public function getProperty(string $destination, string $path, string $interface, string $name, array $options = []);

    /**
     * @param mixed $value
     * @param array<string, mixed> $options
     * @throws DBusException|InvalidArgumentException
     */
    public function setProperty(
        string $destination,
        string $path,
        string $interface,
        string $name,
        $value,
        ?string $signature = null,
        array $options = []
    ): void;

    /**
     * @param array<string, mixed> $options
     * @return array<string, mixed>
     * @throws DBusException|InvalidArgumentException
     */
    public function getAllProperties(string $destination, string $path, string $interface, array $options = []): array;

    /**
     * @param array<string, mixed> $options
     * @return array<string, mixed>
     * @throws DBusException|InvalidArgumentException
     */
    public function introspect(string $destination, string $path, array $options = []): array;

    /**
     * @param list<mixed> $args
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function emit(
        string $path,
        string $interface,
        string $member,
        array $args = [],
        ?string $signature = null,
        ?string $destination = null
    ): void;

    /** @throws SkypeBusException */
    public function getUniqueName(): string;

    /** @throws InvalidArgumentException|SkypeBusException */
    public function nameHasOwner(string $name): bool;

    /** @throws InvalidArgumentException|SkypeBusException */
    public function getNameOwner(string $name): ?string;

    public function close(): void;

    public function isClosed(): bool;
}
