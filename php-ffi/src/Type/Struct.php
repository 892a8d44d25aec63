<?php

declare(strict_types=1);

namespace SkypeBus\Type;

use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Internal\ResultCode;
use SkypeBus\Internal\RequestEncoder;
use SkypeBus\Internal\Signature as SignatureParser;
use SkypeBus\Internal\Values;

/**
 * D-Bus struct "(...)": a fixed list of members, new Struct([1, 'a'], '(us)').
 *
 * Without a signature the members' types are inferred one by one (typed values give their own:
 * new Struct([new UInt32(1), 'a']) is "(us)"). Where a call's signature already says struct, a
 * plain PHP list does the same job.
 */
final class Struct implements TypedValue
{
    /** @var list<mixed> */
    private $members;

    /** @var string */
    private $signature;

    /**
     * @param list<mixed> $members
     * @param string|null $signature the struct type with its parentheses, "(us)"
     */
    public function __construct(array $members, ?string $signature = null)
    {
        if ($members === [] || !Values::isList($members)) {
            throw new InvalidArgumentException(
                'A struct needs a non-empty list of members',
                'net.skypebus.Error.TypeMismatch',
                ResultCode::TYPE_MISMATCH
            );
        }
        if ($signature === null) {
            $signature = '(' . implode('', array_map([SignatureParser::class, 'infer'], $members)) . ')';
        } else {
            SignatureParser::assertSingleCompleteType($signature);
            if ($signature[0] !== '(' || count(SignatureParser::structMembers($signature)) !== count($members)) {
                throw new InvalidArgumentException(
                    sprintf('"%s" is not a struct type of %d members', $signature, count($members)),
                    'net.skypebus.Error.TypeMismatch',
                    ResultCode::TYPE_MISMATCH
                );
            }
        }
        $this->members = $members;
        $this->signature = $signature;
    }

    public function getSignature(): string
    {
        return $this->signature;
    }

    /**
     * @return list<mixed>
     */
    public function getValue(): array
    {
        return $this->members;
    }

    /**
     * @return array{type: string, data: mixed}
     */
    public function jsonSerialize(): array
    {
        return ['type' => $this->signature, 'data' => RequestEncoder::prepare($this->members, $this->signature)];
    }
}
