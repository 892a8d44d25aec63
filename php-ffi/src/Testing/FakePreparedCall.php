<?php

declare(strict_types=1);

namespace SkypeBus\Testing;

use SkypeBus\PreparedCallInterface;

/**
 * What FakeBus::prepare() returns: each call is FakeBus::call() with the target, signature and
 * options given to prepare(), so it is recorded in FakeBus::calls() and answered by what
 * FakeBus::on() scripted.
 */
final class FakePreparedCall implements PreparedCallInterface
{
    /** @var FakeBus */
    private $bus;

    /** @var array{0: string, 1: string, 2: string|null, 3: string} destination, path, interface, method */
    private $target;

    /** @var string|null */
    private $signature;

    /** @var array<string, mixed> */
    private $options;

    /**
     * Use FakeBus::prepare().
     *
     * @internal
     * @param array<string, mixed> $options
     */
    public function __construct(FakeBus $bus, string $destination, string $path, ?string $interface, string $method, ?string $signature, array $options)
    {
        $this->bus = $bus;
        $this->target = [$destination, $path, $interface, $method];
        $this->signature = $signature;
        $this->options = $options;
    }

    public function __invoke(...$args): array
    {
        return $this->call($args);
    }

    public function call(array $args = []): array
    {
        [$destination, $path, $interface, $method] = $this->target;
        return $this->bus->call($destination, $path, $interface, $method, $args, $this->signature, $this->options);
    }

    public function getName(): string
    {
        [, , $interface, $method] = $this->target;
        return ($interface === null || $interface === '' ? '' : $interface . '.') . $method;
    }
}
