<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Type\Bytes;
use SkypeBus\Type\Double;
use SkypeBus\Type\TypedValue;

/**
 * PHP values to the request JSON of the C ABI (docs/php.md, "Values"): calls (skypebus_call,
 * one element of skypebus_call_many), property requests, signals to emit, and the replies of
 * exported objects. Pure PHP; no FFI. ReplyDecoder is the way back.
 *
 * Requests always ask for typed variants (so that the contents of a variant can be decoded by
 * their type) and, whenever that is safe, for base64 bytes (so a 1 MiB "ay" is one base64
 * string, not a million JSON integers).
 *
 * Calls also ask for "arrays": "base64" (on a little-endian 64-bit PHP): arrays of n q i u x t d
 * come back as base64 of their packed little-endian elements, which ReplyDecoder unpacks (the
 * library's binary side path; the JSON contract itself is unchanged).
 *
 * @internal
 */
final class RequestEncoder
{
    public const ENCODE_FLAGS = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION;

    /** Signatures made only of these need no conversion on the way in. */
    private const PLAIN_INPUT = 'bnqiuxtsogh';

    /** Most option tails encodeCall() keeps (see tail()). */
    private const CACHE = 256;

    /** @var array<string, string> encodeCall()'s option keys as JSON text (",...}"), by options */
    private static $tails = [];

    /**
     * The request JSON for skypebus_call: the text json_encode(callRequest(...)) gives, built
     * from the target's head (the JSON of destination, path, interface, method and signature,
     * made once per target), the arguments' JSON and the options' keys (made once per set of
     * options). The hot path of every call: plain strings, integers and booleans, the common
     * arguments, go into the JSON as they are, without a call per argument.
     *
     * @param list<mixed> $args
     * @throws InvalidArgumentException
     */
    public static function encodeCall(CallTarget $target, array $args, CallOptions $options): string
    {
        // Without its closing brace: the rest follows. (Names that are not UTF-8 fail here,
        // as they would in the whole request.)
        $head = $target->head ?? ($target->head = substr(self::encode(self::requestHead($target)), 0, -1));
        if ($args === []) {
            $json = $head;
            $base64 = true;
            if ($target->signature !== null && $target->signature !== '') {
                self::prepareArgs($target, $args);
            }
        } else {
            if ($args !== array_values($args)) {
                throw self::notAList();
            }
            $types = $target->types;
            if ($types === null && $target->signature !== null) {
                $types = $target->types = Signature::split($target->signature);
            }
            $prepared = $args;
            $base64 = true;
            $nested = false;
            if ($types !== null) {
                if (count($types) !== count($args)) {
                    throw self::wrongCount($target->method, $target->signature, $types, $args);
                }
                foreach ($args as $i => $arg) {
                    if (is_string($arg) ? $types[$i] === 'ay' : !(is_int($arg) || is_bool($arg))) {
                        $prepared[$i] = self::spliceBytes($arg, $types[$i]) ?? self::prepare($arg, $types[$i]);
                    }
                }
            } else {
                foreach ($args as $i => $arg) {
                    if (is_string($arg)) {
                        // With no signature PHP cannot know where the library will find "ay"
                        // (introspection): there a plain string would be read as base64.
                        $base64 = false;
                    } elseif (!(is_int($arg) || is_bool($arg))) {
                        $nested = true;
                        $prepared[$i] = self::spliceBytes($arg, null) ?? self::prepare($arg, null);
                    }
                }
                if ($base64 && $nested) {
                    $base64 = !self::containsUntypedString($args);
                }
            }
            $text = self::$spliced === [] ? json_encode($prepared, self::ENCODE_FLAGS) : false;
            $json = $head . ',"args":' . ($text === false ? self::encode($prepared) : $text);
        }
        // The keys after the arguments, as callRequest() adds them, once per set of options.
        $tail = $base64 ? $options->tailBase64 : $options->tailPlain;
        if ($tail === null) {
            $tail = self::tail($options, $base64);
        }
        return $json . $tail;
    }

    /**
     * Whether the target's calls can send their arguments packed (BodyPacker), kept on the
     * target: it has a signature of types BodyPacker packs (fills in $target->types too).
     */
    public static function packable(CallTarget $target): bool
    {
        if ($target->signature === null) {
            return $target->packable = false;
        }
        try {
            $types = $target->types ?? ($target->types = Signature::split($target->signature));
        } catch (InvalidArgumentException $e) {
            // An invalid signature: the JSON path reports it.
            return $target->packable = false;
        }
        return $target->packable = BodyPacker::packable($types);
    }

    /**
     * The request JSON of skypebus_call_packed_into: encodeCall()'s without arguments (the
     * target's head, with its signature, and the options' keys), kept on the target for these
     * options.
     */
    public static function packedRequest(CallTarget $target, CallOptions $options): string
    {
        $head = $target->head ?? ($target->head = substr(self::encode(self::requestHead($target)), 0, -1));
        $target->packedOptions = $options;
        return $target->packedRequest = $head . ($options->tailBase64 ?? self::tail($options, true));
    }

    /**
     * The keys after the arguments as JSON text (",...}"), kept on the options and, for options
     * made afresh per call, here.
     */
    private static function tail(CallOptions $options, bool $base64): string
    {
        $key = ($options->noReply ? 'n' : '') . ($options->noAutoStart ? 's' : '')
            . ($options->allowInteractiveAuthorization ? 'i' : '') . ($base64 ? 'b' : '') . $options->timeoutMs;
        $tail = self::$tails[$key] ?? null;
        if ($tail === null) {
            $tail = ',' . substr(self::encode(self::requestTail([], $options, $base64)), 1);
            if (count(self::$tails) >= self::CACHE) {
                self::$tails = [];
            }
            self::$tails[$key] = $tail;
        }
        if ($base64) {
            $options->tailBase64 = $tail;
        } else {
            $options->tailPlain = $tail;
        }
        return $tail;
    }

    /**
     * The keys of a call request before its arguments.
     *
     * @return array<string, string>
     */
    private static function requestHead(CallTarget $target): array
    {
        $request = [];
        if ($target->destination !== '') {
            $request['destination'] = $target->destination;
        }
        $request['path'] = $target->path;
        if ($target->interface !== null && $target->interface !== '') {
            $request['interface'] = $target->interface;
        }
        $request['method'] = $target->method;
        if ($target->signature !== null) {
            $request['signature'] = $target->signature;
        }
        return $request;
    }

    /**
     * $request with the keys of a call request that follow its arguments.
     *
     * @param array<string, mixed> $request
     * @return array<string, mixed>
     */
    private static function requestTail(array $request, CallOptions $options, bool $base64): array
    {
        if ($options->noReply) {
            $request['no_reply'] = true;
        }
        $request = self::finish($request, $options, $base64);
        if (self::packedArrays()) {
            $request['arrays'] = 'base64';
        }
        return $request;
    }

    /**
     * The request of skypebus_call as a structure ready for json_encode (one element of the
     * array skypebus_call_many takes).
     *
     * @param list<mixed> $args
     * @return array<string, mixed>
     * @throws InvalidArgumentException
     */
    public static function callRequest(CallTarget $target, array $args, CallOptions $options): array
    {
        $request = self::requestHead($target);
        [$prepared, $base64] = self::prepareArgs($target, $args);
        if ($prepared !== []) {
            $request['args'] = $prepared;
        }
        return self::requestTail($request, $options, $base64);
    }

    /** Whether unpack() reads the library's packed arrays: little endian, 64-bit integers. */
    private static function packedArrays(): bool
    {
        static $ok = null;
        if ($ok === null) {
            $ok = PHP_INT_SIZE === 8 && pack('S', 1) === "\x01\x00";
        }
        return $ok;
    }

    /**
     * The JSON of skypebus_emit: a signal from $path, typed by $signature or inferred.
     *
     * @param list<mixed> $args
     * @throws InvalidArgumentException
     */
    public static function encodeSignal(
        string $path,
        string $interface,
        string $member,
        array $args,
        ?string $signature,
        ?string $destination
    ): string {
        $signal = [];
        if ($destination !== null && $destination !== '') {
            $signal['destination'] = $destination;
        }
        $signal['path'] = $path;
        $signal['interface'] = $interface;
        $signal['member'] = $member;
        [$prepared, $base64] = self::prepareArgs(new CallTarget('', $path, $interface, $member, $signature), $args);
        if ($signature !== null) {
            $signal['signature'] = $signature;
        }
        if ($prepared !== []) {
            $signal['args'] = $prepared;
        }
        if ($base64) {
            $signal['bytes'] = 'base64';
        }
        return self::encode($signal);
    }

    /**
     * The JSON of skypebus_reply for the values a handler returned, one per complete type of
     * the method's declared out signature ($outTypes); strings where a type says "ay" are bytes.
     *
     * @param list<mixed> $values
     * @param list<string> $outTypes
     * @throws InvalidArgumentException
     */
    public static function encodeReply(array $values, array $outTypes): string
    {
        $prepared = [];
        foreach ($values as $i => $value) {
            $prepared[] = self::prepare($value, $outTypes[$i] ?? null);
        }
        return self::encode(['args' => $prepared, 'bytes' => 'base64']);
    }

    /**
     * The JSON value of one property of an exported object (skypebus_set_property, and the
     * "properties" export option), for an export made with "bytes": "base64".
     *
     * @param mixed $value
     * @return mixed
     * @throws InvalidArgumentException
     */
    public static function prepareProperty($value, string $type)
    {
        return self::prepare($value, $type);
    }

    /**
     * The arguments of a call or signal made ready for json_encode, and whether "ay" may be
     * asked for as base64 (see the class comment).
     *
     * @param list<mixed> $args
     * @return array{0: list<mixed>, 1: bool}
     * @throws InvalidArgumentException
     */
    private static function prepareArgs(CallTarget $target, array $args): array
    {
        if (!Values::isList($args)) {
            throw self::notAList();
        }
        $prepared = [];
        $signature = $target->signature;
        if ($signature !== null) {
            $types = $target->types ?? ($target->types = Signature::split($signature));
            if (count($types) !== count($args)) {
                throw self::wrongCount($target->method, $signature, $types, $args);
            }
            foreach ($args as $i => $arg) {
                $prepared[] = self::spliceBytes($arg, $types[$i]) ?? self::prepare($arg, $types[$i]);
            }
            return [$prepared, true];
        }
        foreach ($args as $arg) {
            $prepared[] = self::spliceBytes($arg, null) ?? self::prepare($arg, null);
        }
        // With no signature PHP cannot know where the library will find "ay" (introspection):
        // there a plain string would be read as base64. Ask for base64 bytes only when no
        // untyped string could end up in such a place.
        return [$prepared, !self::containsUntypedString($args)];
    }

    private static function notAList(): InvalidArgumentException
    {
        return new InvalidArgumentException('The arguments of a call must be a list (keys 0..n-1)');
    }

    /**
     * @param list<string> $types
     * @param list<mixed> $args
     */
    private static function wrongCount(string $member, string $signature, array $types, array $args): InvalidArgumentException
    {
        return new InvalidArgumentException(
            sprintf(
                '%s takes %d argument%s (signature "%s"), %d given',
                $member,
                count($types),
                count($types) === 1 ? '' : 's',
                $signature,
                count($args)
            ),
            'net.skypebus.Error.TypeMismatch',
            ResultCode::TYPE_MISMATCH
        );
    }

    /**
     * The request JSON for skypebus_properties: op "get" and "get_all" (no $name for the
     * latter), or "set" with a value, whose type is $signature, else the property's declared
     * type, else inferred (the library decides, from the peer's introspection data).
     *
     * @param mixed $value
     * @throws InvalidArgumentException
     */
    public static function encodeProperties(string $op, PropertyTarget $target, $value, ?string $signature, CallOptions $options): string
    {
        if ($options->noReply) {
            throw new InvalidArgumentException(
                'The option "noReply" does not apply to properties',
                'net.skypebus.Error.InvalidRequest',
                ResultCode::INVALID_REQUEST
            );
        }
        $request = [];
        if ($target->destination !== '') {
            $request['destination'] = $target->destination;
        }
        $request['path'] = $target->path;
        $request['interface'] = $target->interface;
        $request['op'] = $op;
        if ($target->name !== null) {
            $request['name'] = $target->name;
        }
        $base64 = true;
        if ($op === 'set') {
            if ($value instanceof TypedValue && ($signature === null || $signature === $value->getSignature())) {
                // The library takes the value as the data of the property's type, not as a typed
                // form: a typed value gives both, the type as the signature.
                $typed = $value->jsonSerialize();
                $request['signature'] = $typed['type'];
                $request['value'] = $typed['data'];
            } else {
                if ($signature !== null) {
                    Signature::assertSingleCompleteType($signature);
                    $request['signature'] = $signature;
                } else {
                    $base64 = !self::containsUntypedString([$value]);
                }
                $request['value'] = self::prepare($value, $signature);
            }
        }
        return self::encode(self::finish($request, $options, $base64));
    }

    /**
     * Adds the options every request shares.
     *
     * @param array<string, mixed> $request
     * @return array<string, mixed>
     */
    private static function finish(array $request, CallOptions $options, bool $base64): array
    {
        if ($options->timeoutMs !== null) {
            $request['timeout_ms'] = $options->timeoutMs;
        }
        if ($options->noAutoStart) {
            $request['no_auto_start'] = true;
        }
        if ($options->allowInteractiveAuthorization) {
            $request['allow_interactive_authorization'] = true;
        }
        // Always typed: the contents of a variant are decoded by their type ("ay" in a variant).
        $request['variants'] = 'typed';
        if ($base64) {
            $request['bytes'] = 'base64';
        }
        return $request;
    }

    /** Arguments of bytes at least this long are spliced into the JSON text (spliceBytes()). */
    private const SPLICE_MIN = 4096;

    /** @var array<string, string> placeholder => the base64 text that replaces it */
    private static $spliced = [];

    /**
     * A top-level argument of bytes (a string where the signature says "ay", or a Bytes object)
     * of at least SPLICE_MIN bytes, as the typed form {"type":"ay","data":"<placeholder>"}
     * whose placeholder encode() replaces with the base64 text: json_encode() checks every
     * character of a string for escaping, about 2 ms for the base64 of 1 MiB, which needs none.
     * Null for any other argument.
     *
     * @param mixed $arg
     */
    private static function spliceBytes($arg, ?string $type): ?array
    {
        if ($arg instanceof Bytes) {
            $bytes = $arg->getValue();
        } elseif ($type === 'ay' && is_string($arg)) {
            $bytes = $arg;
        } else {
            return null;
        }
        if (strlen($bytes) < self::SPLICE_MIN) {
            return null;
        }
        static $nonce = null;
        if ($nonce === null) {
            $nonce = bin2hex(random_bytes(16));
        }
        // The placeholder stands where the base64 goes, inside the quotes json_encode writes,
        // so the text is put in place with no copy of it made first.
        $placeholder = 'skypebus-bytes-' . $nonce . '-' . count(self::$spliced);
        self::$spliced[$placeholder] = base64_encode($bytes);
        return ['type' => 'ay', 'data' => $placeholder];
    }

    /**
     * JSON text of a prepared structure (with the bytes spliceBytes() set aside put in place).
     *
     * @param mixed $value
     * @throws InvalidArgumentException
     */
    public static function encode($value): string
    {
        try {
            $json = json_encode($value, self::ENCODE_FLAGS | JSON_THROW_ON_ERROR);
            return self::$spliced === [] ? $json : strtr($json, self::$spliced);
        } catch (\JsonException $e) {
            if ($e->getCode() === JSON_ERROR_UTF8) {
                throw new InvalidArgumentException(
                    'A string is not valid UTF-8, which D-Bus strings must be: send binary data as '
                    . 'SkypeBus\Type\Bytes, or where the signature says "ay"',
                    'net.skypebus.Error.InvalidUtf8',
                    ResultCode::INVALID_UTF8,
                    $e
                );
            }
            throw new InvalidArgumentException(
                'The arguments cannot be encoded: ' . $e->getMessage(),
                'net.skypebus.Error.InvalidRequest',
                ResultCode::INVALID_REQUEST,
                $e
            );
        } finally {
            self::$spliced = [];
        }
    }

    /**
     * Makes a PHP value ready for json_encode at a place whose D-Bus type is $type (or unknown):
     * binary strings where the type is "ay" become Bytes, NAN and infinities get their JSON
     * forms, PHP arrays where the type is a dict become JSON objects, null is refused.
     *
     * @param mixed $value
     * @return mixed
     * @throws InvalidArgumentException
     */
    public static function prepare($value, ?string $type)
    {
        if (is_string($value)) {
            return $type === 'ay' ? new Bytes($value) : $value;
        }
        if (is_int($value) || is_bool($value)) {
            return $value;
        }
        if (is_float($value)) {
            if (is_finite($value)) {
                return $value;
            }
            return $type === 'd' ? self::doubleToJson($value) : new Double($value);
        }
        if (is_array($value)) {
            return self::prepareArray($value, $type);
        }
        if ($value instanceof \JsonSerializable) {
            return $value;
        }
        if ($value instanceof \stdClass) {
            $prepared = self::prepareArray((array) $value, $type !== null && strncmp($type, 'a{', 2) === 0 ? $type : null);
            return is_array($prepared) ? (object) $prepared : $prepared;
        }
        if ($value === null) {
            throw new InvalidArgumentException(
                'null cannot be sent over D-Bus',
                'net.skypebus.Error.TypeMismatch',
                ResultCode::TYPE_MISMATCH
            );
        }
        throw new InvalidArgumentException(
            sprintf('A value of type %s cannot be sent over D-Bus', Values::describe($value)),
            'net.skypebus.Error.TypeMismatch',
            ResultCode::TYPE_MISMATCH
        );
    }

    /**
     * @param array<int|string, mixed> $array
     * @return array<int|string, mixed>|\stdClass
     */
    private static function prepareArray(array $array, ?string $type)
    {
        if ($type !== null && $type[0] === 'a') {
            if ($type[1] === '{') {
                [, $valueType] = Signature::dictEntry($type);
                $object = new \stdClass();
                foreach ($array as $key => $item) {
                    $object->{$key} = self::prepare($item, $valueType);
                }
                return $object;
            }
            $element = substr($type, 1);
            if (strspn($element, self::PLAIN_INPUT) === strlen($element) || $element === 'y') {
                return $array;
            }
            foreach ($array as $key => $item) {
                $array[$key] = self::prepare($item, $element);
            }
            return $array;
        }
        if ($type !== null && $type[0] === '(') {
            $members = Signature::structMembers($type);
            $i = 0;
            foreach ($array as $key => $item) {
                $array[$key] = self::prepare($item, $members[$i++] ?? null);
            }
            return $array;
        }
        foreach ($array as $key => $item) {
            $array[$key] = self::prepare($item, null);
        }
        return $array;
    }

    /**
     * True when a plain PHP string (outside any typed value) occurs in the values.
     *
     * @param array<int|string, mixed> $values
     */
    private static function containsUntypedString(array $values): bool
    {
        foreach ($values as $value) {
            if (is_string($value)) {
                return true;
            }
            if ($value instanceof \stdClass) {
                $value = (array) $value;
            }
            if (is_array($value) && self::containsUntypedString($value)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The JSON form of a double: the number, or "NaN", "Infinity", "-Infinity".
     *
     * @return float|string
     */
    public static function doubleToJson(float $value)
    {
        if (is_nan($value)) {
            return 'NaN';
        }
        if (is_infinite($value)) {
            return $value > 0 ? 'Infinity' : '-Infinity';
        }
        return $value;
    }

    /**
     * A dict key as its JSON object key: strings as they are, other basic values as their JSON
     * text ("42", "true", "1.5").
     *
     * @param int|string|bool|float $key
     */
    public static function keyToJson($key): string
    {
        if (is_bool($key)) {
            return $key ? 'true' : 'false';
        }
        if (is_float($key)) {
            $json = self::doubleToJson($key);
            return is_string($json) ? $json : json_encode($json, self::ENCODE_FLAGS);
        }
        return (string) $key;
    }
}
