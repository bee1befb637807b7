/** Attributes a backend adds to a dead-lettered message, so whoever reads the dead-letter queue knows why and from where. */
export const DEAD_LETTER_REASON_ATTRIBUTE = 'melange_dead_letter_reason';
export const SOURCE_QUEUE_ATTRIBUTE = 'melange_source_queue';
