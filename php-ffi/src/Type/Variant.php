<?php

declare(strict_types=1);

namespace SkypeBus\Type;

use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Internal\Errors;
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
                    Errors::TYPE_MISMATCH
                );
            }
            return $data->jsonSerialize();
        }
        return ['type' => $this->signature, 'data' => $data];
    }
}
