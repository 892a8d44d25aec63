<?php

declare(strict_types=1);

namespace SkypeBus;

/**
 * An object of a peer whose D-Bus methods are PHP methods and whose D-Bus properties are PHP
 * properties (Proxy, and Testing\FakeProxy for unit tests). Only PHP's own magic methods, so
 * that no D-Bus name is shadowed.
 */
interface ProxyInterface
{
    /**
     * @param array<int|string, mixed> $args
     * @return mixed null, the one reply value, or the list of reply values
     */
    public function __call(string $name, array $args);

    /** @return mixed */
    public function __get(string $name);

    /** @param mixed $value */
    public function __set(string $name, $value): void;

    public function __isset(string $name): bool;
}
