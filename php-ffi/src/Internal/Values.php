<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

/**
 * What the encoder, the decoder and the argument checks ask of any PHP value. Pure PHP.
 *
 * @internal
 */
final class Values
{
    /** True for [] and for arrays whose keys are 0..n-1 in order (array_is_list() of PHP 8.1). */
    public static function isList(array $array): bool
    {
        $expected = 0;
        foreach ($array as $key => $unused) {
            if ($key !== $expected++) {
                return false;
            }
        }
        return true;
    }

    /**
     * What a proxy method returns for a reply's values: null for none, the value for one, the
     * list for several.
     *
     * @param list<mixed> $values
     * @return mixed
     */
    public static function proxyResult(array $values)
    {
        switch (count($values)) {
            case 0:
                return null;
            case 1:
                return $values[0];
            default:
                return $values;
        }
    }

    /**
     * The type of a value for messages (get_debug_type() of PHP 8).
     *
     * @param mixed $value
     */
    public static function describe($value): string
    {
        if (is_object($value)) {
            return get_class($value);
        }
        $type = gettype($value);
        $names = ['NULL' => 'null', 'boolean' => 'bool', 'integer' => 'int', 'double' => 'float'];
        return $names[$type] ?? $type;
    }
}
