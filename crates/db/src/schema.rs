//! The database schema, written by hand in portable types so that one `schema.rs` serves
//! both backends. `tests/migrations.rs` checks it against both migrated databases.

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        display_name -> Text,
        email -> Nullable<Text>,
        email_verified_at -> Nullable<Timestamp>,
        password_hash -> Nullable<Text>,
        role -> Text,
        created_at -> Timestamp,
        bio -> Text,
        suspended_until -> Nullable<Timestamp>,
        suspension_reason -> Text,
        silenced_until -> Nullable<Timestamp>,
        silence_reason -> Text,
        trust_level -> Integer,
        trust_level_locked -> Bool,
        visit_days -> Integer,
        last_visit_at -> Nullable<Timestamp>,
        approved -> Bool,
        posts_read -> Integer,
        unread_notifications -> Integer,
        digest_queued_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    email_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        purpose -> Text,
        user_id -> Nullable<BigInt>,
        email -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    categories (id) {
        id -> BigInt,
        name -> Text,
        slug -> Text,
        description -> Text,
        position -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    threads (id) {
        id -> BigInt,
        category_id -> BigInt,
        author_id -> BigInt,
        title -> Text,
        slug -> Text,
        answer_count -> Integer,
        created_at -> Timestamp,
        last_activity_at -> Timestamp,
        accepted_answer_id -> Nullable<BigInt>,
        deleted_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        closed_by -> Nullable<BigInt>,
        duplicate_of -> Nullable<BigInt>,
        view_count -> BigInt,
        locked_at -> Nullable<Timestamp>,
        pinned_at -> Nullable<Timestamp>,
        close_reason -> Nullable<Text>,
        official_answer_id -> Nullable<BigInt>,
        waiting_since -> Nullable<Timestamp>,
        queue_state -> Text,
        assigned_to -> Nullable<BigInt>,
        first_answer_at -> Nullable<Timestamp>,
        first_team_answer_at -> Nullable<Timestamp>,
        overdue_alerted_for -> Nullable<Timestamp>,
    }
}

diesel::table! {
    posts (id) {
        id -> BigInt,
        thread_id -> BigInt,
        author_id -> BigInt,
        is_question -> Bool,
        body_source -> Text,
        body_html -> Text,
        idempotency_key -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        score -> Integer,
        comment_count -> Integer,
        deleted_at -> Nullable<Timestamp>,
        deleted_by -> Nullable<BigInt>,
        hidden_reason -> Nullable<Text>,
    }
}

diesel::table! {
    comments (id) {
        id -> BigInt,
        post_id -> BigInt,
        author_id -> BigInt,
        body_source -> Text,
        body_html -> Text,
        idempotency_key -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    post_revisions (id) {
        id -> BigInt,
        post_id -> BigInt,
        editor_id -> BigInt,
        title -> Nullable<Text>,
        tags -> Nullable<Text>,
        body_source -> Text,
        reason -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tags (id) {
        id -> BigInt,
        name -> Text,
        description -> Text,
        question_count -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    thread_tags (thread_id, tag_id) {
        thread_id -> BigInt,
        tag_id -> BigInt,
        thread_created_at -> Timestamp,
    }
}

diesel::table! {
    votes (id) {
        id -> BigInt,
        post_id -> BigInt,
        user_id -> BigInt,
        value -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    rate_limits (bucket) {
        bucket -> Text,
        window_start -> Timestamp,
        hits -> Integer,
    }
}

diesel::table! {
    import_map (site, kind, original_id) {
        site -> Text,
        kind -> Text,
        original_id -> BigInt,
        local_id -> BigInt,
    }
}

diesel::table! {
    post_origins (post_id) {
        post_id -> BigInt,
        site_name -> Text,
        url -> Text,
        author_name -> Text,
        author_url -> Nullable<Text>,
        license -> Text,
    }
}

diesel::table! {
    search_jobs (id) {
        id -> BigInt,
        thread_id -> BigInt,
        created_at -> Timestamp,
        attempts -> Integer,
        run_after -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    search_settings (id) {
        id -> BigInt,
        external_engine -> Nullable<Text>,
    }
}

diesel::table! {
    flags (id) {
        id -> BigInt,
        post_id -> BigInt,
        user_id -> BigInt,
        reason -> Text,
        note -> Text,
        created_at -> Timestamp,
        outcome -> Nullable<Text>,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    review_items (id) {
        id -> BigInt,
        post_id -> BigInt,
        kind -> Text,
        created_at -> Timestamp,
        claimed_by -> Nullable<BigInt>,
        claimed_until -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<BigInt>,
        outcome -> Nullable<Text>,
        outcome_reason -> Text,
    }
}

diesel::table! {
    blocked_emails (email) {
        email -> Text,
        blocked_at -> Timestamp,
        blocked_by -> BigInt,
    }
}

diesel::table! {
    install_secrets (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    community_settings (id) {
        id -> BigInt,
        registration -> Text,
        login_required -> Bool,
        name -> Text,
        description -> Text,
        rules_source -> Text,
        rules_html -> Text,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        actor_id -> BigInt,
        action -> Text,
        target_kind -> Text,
        target_id -> Nullable<BigInt>,
        target_label -> Text,
        reason -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    subscriptions (id) {
        id -> BigInt,
        user_id -> BigInt,
        target_kind -> Text,
        target_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        subject_id -> BigInt,
        thread_id -> BigInt,
        actor_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    staff_notes (id) {
        id -> BigInt,
        thread_id -> BigInt,
        author_id -> BigInt,
        body_source -> Text,
        body_html -> Text,
        idempotency_key -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    email_preferences (user_id, kind) {
        user_id -> BigInt,
        kind -> Text,
        delivery -> Text,
    }
}

diesel::table! {
    mail_jobs (id) {
        id -> BigInt,
        user_id -> BigInt,
        notification_id -> Nullable<BigInt>,
        digest_since -> Nullable<Timestamp>,
        created_at -> Timestamp,
        run_after -> Timestamp,
        attempts -> Integer,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    business_hours (id) {
        id -> BigInt,
        time_zone -> Text,
        days -> Text,
        opens -> Text,
        closes -> Text,
        target_hours -> Integer,
        alert_overdue -> Bool,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(staff_notes -> users (author_id));
diesel::joinable!(notifications -> threads (thread_id));
diesel::joinable!(subscriptions -> users (user_id));
diesel::joinable!(flags -> posts (post_id));
diesel::joinable!(review_items -> posts (post_id));
diesel::joinable!(email_tokens -> users (user_id));
diesel::joinable!(threads -> categories (category_id));
diesel::joinable!(threads -> users (author_id));
diesel::joinable!(posts -> threads (thread_id));
diesel::joinable!(posts -> users (author_id));
diesel::joinable!(votes -> posts (post_id));
diesel::joinable!(comments -> posts (post_id));
diesel::joinable!(post_revisions -> posts (post_id));
diesel::joinable!(post_revisions -> users (editor_id));
diesel::joinable!(comments -> users (author_id));
diesel::joinable!(thread_tags -> threads (thread_id));
diesel::joinable!(thread_tags -> tags (tag_id));
diesel::joinable!(votes -> users (user_id));
diesel::joinable!(post_origins -> posts (post_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    email_tokens,
    categories,
    threads,
    posts,
    rate_limits,
    votes,
    comments,
    tags,
    thread_tags,
    post_revisions,
    import_map,
    post_origins,
    search_jobs,
    search_settings,
    flags,
    review_items,
    audit_log,
    blocked_emails,
    install_secrets,
    community_settings,
    subscriptions,
    notifications,
    staff_notes,
    email_preferences,
    mail_jobs,
    business_hours,
);
