<?php

declare(strict_types=1);

namespace SkypeBus\Type;

use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Internal\ResultCode;
use SkypeBus\Internal\RequestEncoder;
use SkypeBus\Internal\Signature as SignatureParser;

/**
 * D-Bus "v": a value together with the type it is carried as, new Variant('u', 5).
 *
 * Where the call's signature says "v" (a{sv} hints, Properties.Set, ...) this is the variant;
 * its value may be anything the given type accepts, typed values included. Replies give
 * variants back unwrapped by default, and as Variant objects with the call option
 * 'variants' => 'typed'; those can be sent back unchanged.
 *
 * Where no signature is known at all (no signature given, nothing introspected) a top-level
 * argument Variant is sent as its inner type, since nothing says the argument is a variant.
 */
final class Variant implements TypedValue
{
    /** @var string */
    private $signature;

    /** @var mixed */
    private $value;

    /**
     * @param string $signature the type of the value inside, one complete type ("y", "a{sv}"...)
     * @param mixed $value
     */
    public function __construct(string $signature, $value)
    {
        SignatureParser::assertSingleCompleteType($signature);
        self::check($value, $signature, $signature);
        $this->signature = $signature;
        $this->value = $value;
    }

    /** The type of the value inside the variant. */
    public function getSignature(): string
    {
        return $this->signature;
    }

    /**
     * @return mixed
     */
    public function getValue()
    {
        return $this->value;
    }

    /**
     * @return array{type: string, data: mixed}
     */
    public function jsonSerialize(): array
    {
        $data = RequestEncoder::prepare($this->value, $this->signature);
        if ($data instanceof TypedValue && $this->signature !== 'v') {
            // The data of a typed form is a plain value: a typed value of the variant's own type
            // is that typed form already.
            if ($data->getSignature() !== $this->signature) {
                throw new InvalidArgumentException(
                    sprintf('A Variant of type "%s" cannot hold a value typed "%s"', $this->signature, $data->getSignature()),
                    'net.skypebus.Error.TypeMismatch',
                    ResultCode::TYPE_MISMATCH
                );
            }
            return $data->jsonSerialize();
        }
        return ['type' => $this->signature, 'data' => $data];
    }

    /** The plain integer types and the typed value that checks their range. */
    private const INTEGERS = [
        'y' => Byte::class,
        'n' => Int16::class,
        'q' => UInt16::class,
        'i' => Int32::class,
        'u' => UInt32::class,
        'x' => Int64::class,
        't' => UInt64::class,
    ];

    /**
     * Refuses at once what can never be sent as $type (new Variant('y', 256), a string for "b",
     * ...), the way new Byte(300) is refused, instead of when the call is made. Typed values and
     * what is inside a "v" are checked when serialized; null is refused then too.
     *
     * @param mixed $value
     * @throws InvalidArgumentException
     */
    private static function check($value, string $type, string $variant): void
    {
        if ($value instanceof TypedValue || $value === null || $type === 'v') {
            return;
        }
        $code = $type[0];
        if (isset(self::INTEGERS[$code])) {
            if (is_bool($value) || !(is_int($value) || is_string($value) || is_float($value))) {
                throw self::mismatch($variant, $type, $value);
            }
            $class = self::INTEGERS[$code];
            try {
                new $class($value);
            } catch (InvalidArgumentException $e) {
                throw new InvalidArgumentException(
                    sprintf('new Variant("%s", ...): %s', $variant, $e->getMessage()),
                    $e->getErrorName(),
                    $e->getCode(),
                    $e
                );
            }
            return;
        }
        switch ($code) {
            case 'b':
                $fits = is_bool($value);
                break;
            case 'd':
                $fits = is_int($value) || is_float($value);
                break;
            case 'h':
                // A descriptor number the caller keeps (an Fd is a TypedValue, checked above).
                $fits = is_int($value) && $value >= 0 && $value <= 2147483647;
                break;
            case 's':
            case 'g':
                $fits = is_string($value);
                break;
            case 'o':
                $fits = is_string($value) && ObjectPath::isValid($value);
                break;
            case 'a':
                if ($type === 'ay' && is_string($value)) {
                    return;
                }
                $fits = is_array($value);
                if ($fits) {
                    // PHP makes array keys ints or strings (true is 1), so only the values are checked.
                    $elementType = $type[1] === '{' ? SignatureParser::dictEntry($type)[1] : substr($type, 1);
                    foreach ($value as $element) {
                        self::check($element, $elementType, $variant);
                    }
                }
                break;
            case '(':
                $members = SignatureParser::structMembers($type);
                $fits = is_array($value) && count($value) === count($members);
                if ($fits) {
                    foreach (array_values($value) as $i => $member) {
                        self::check($member, $members[$i], $variant);
                    }
                }
                break;
            default:
                $fits = true;
        }
        if (!$fits) {
            throw self::mismatch($variant, $type, $value);
        }
    }

    /** @param mixed $value */
    private static function mismatch(string $variant, string $type, $value): InvalidArgumentException
    {
        return new InvalidArgumentException(
            sprintf(
                'new Variant("%s", ...): %s cannot be sent as D-Bus "%s"',
                $variant,
                is_scalar($value) ? var_export($value, true) : \SkypeBus\Internal\Values::describe($value),
                $type
            ),
            'net.skypebus.Error.TypeMismatch',
            ResultCode::TYPE_MISMATCH
        );
    }
}
