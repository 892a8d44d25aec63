<?php

declare(strict_types=1);

namespace SkypeBus\Tests\Support;

use SkypeBus\Exception\DBusException;
use SkypeBus\PropertyWriteHandler;

/**
 * A handler that vets remote property writes: Volume must lie in 0..1, Locked is refused with
 * a plain exception; the writes it sees are recorded.
 */
final class GuardedObject implements PropertyWriteHandler
{
    /** @var list<array{0: string, 1: string, 2: mixed}> */
    public $writes = [];

    /**
     * @param mixed $value
     */
    public function onPropertyWrite(string $interface, string $name, $value): void
    {
        $this->writes[] = [$interface, $name, $value];
        if ($name === 'Locked') {
            throw new \RuntimeException('Locked cannot be changed');
        }
        if ($name === 'Volume' && ($value < 0 || $value > 1)) {
            throw new DBusException('org.freedesktop.DBus.Error.InvalidArgs', 'Volume must lie in 0..1');
        }
    }
}
