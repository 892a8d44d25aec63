<?php

declare(strict_types=1);

// Functions of the SkypeBus namespace, loaded by Composer's "files" autoload on every request:
// declarations only, nothing here may touch FFI. skype_send_chat_message() arrives with the
// Skype helper.

namespace SkypeBus;
