<?php

declare(strict_types=1);

namespace SkypeBus;

/**
 * Implemented by an exported object's handler that wants a say in remote writes of its
 * writable properties (org.freedesktop.DBus.Properties.Set). Without it every write of a
 * property declared writable is accepted and stored by the library.
 */
interface PropertyWriteHandler
{
    /**
     * Called for a remote Set of a writable property, before the value is stored. Return to
     * accept it (the library stores it and emits PropertiesChanged as declared); throw a
     * DBusException to refuse it with that error, or any other exception to refuse it with
     * org.freedesktop.DBus.Error.Failed.
     *
     * @param mixed $value the new value as a PHP value
     */
    public function onPropertyWrite(string $interface, string $name, $value): void;
}
