<?php

declare(strict_types=1);

namespace SkypeBus;

use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;

/**
 * One method of one object made ready to be called many times, as BusInterface::prepare()
 * returns it: PreparedCall on a Bus, Testing\FakePreparedCall on a Testing\FakeBus. The methods
 * mean what PreparedCall documents for them.
 */
interface PreparedCallInterface
{
    /**
     * @param mixed ...$args
     * @return list<mixed>
     * @throws DBusException|InvalidArgumentException
     */
    public function __invoke(...$args): array;

    /**
     * @param list<mixed> $args
     * @return list<mixed>
     * @throws DBusException|InvalidArgumentException
     */
    public function call(array $args = []): array;

    public function getName(): string;
}
