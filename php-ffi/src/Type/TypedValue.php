<?php

declare(strict_types=1);

namespace SkypeBus\Type;

/**
 * A PHP value with an explicit D-Bus type. It serializes (json_encode) to the library's typed
 * form {"type": "<signature>", "data": <value>}, which is accepted wherever a value is expected:
 * where the signature says "v" it is a variant holding that type, elsewhere it must match the
 * signature, and with no signature at all it decides the type.
 */
interface TypedValue extends \JsonSerializable
{
    /** The D-Bus type signature of the value, one complete type ("u", "a{sv}", "(is)"...). */
    public function getSignature(): string;

    /**
     * The PHP value: an int (or a decimal string for 64-bit values beyond PHP's int), a float, a
     * string, or an array for containers.
     *
     * @return mixed
     */
    public function getValue();
}
