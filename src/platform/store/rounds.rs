//! Rounds, observations, diagnoses, alert state, incidents and the outbox: everything one
//! round writes, as one D1 batch. (Being written.)
