//! The built-in rule table: Dutch, English, German and French phrasings of each intent.
//! Weights: 3 for phrases that decide an intent alone, 2 for strong words, 1 for hints.

use switchboard_core::item::{Intent, Language};

use super::{IntentRule, IntentRules, ProductLineRule};

type Row = (Intent, Option<Language>, f64, &'static str);

const NL: Option<Language> = Some(Language::Dutch);
const EN: Option<Language> = Some(Language::English);
const DE: Option<Language> = Some(Language::German);
const FR: Option<Language> = Some(Language::French);

use Intent::*;

const ROWS: &[Row] = &[
    // new orders
    (
        NewOrder,
        NL,
        3.0,
        r"graag bestellen|wil(?:len)? graag .{0,20}bestellen|bestellen wij|hierbij (?:onze|mijn|de) (?:bestelling|order)|kunnen jullie (?:ons )?het volgende .{0,20}leveren|nieuwe (?:bestelling|order)\b|dezelfde bestelling als|nabestellen",
    ),
    (
        NewOrder,
        NL,
        2.0,
        r"bestelformulier|inkooporder|bijgaande (?:order|bestelling)|vermelden op de factuur",
    ),
    (
        NewOrder,
        EN,
        3.0,
        r"we(?:'d| would) like to order|i(?:'d| would) like to order|please (?:send|deliver|supply) (?:us )?the following|(?:repeat|same as) order|new order\b|purchase order|please repeat",
    ),
    (
        NewOrder,
        EN,
        2.0,
        r"order form|the following items|mention on the invoice",
    ),
    (
        NewOrder,
        DE,
        3.0,
        r"möchten (?:gerne |gern )?(?:folgendes |folgende artikel )?bestellen|neue bestellung|bestellen wir|nachbestellen|bitte liefern sie|(?:die )?gleiche bestellung wie|noch einmal bestellen",
    ),
    (
        NewOrder,
        DE,
        2.0,
        r"bestellformular|bestellschein|auf der rechnung (?:angeben|vermerken)",
    ),
    (
        NewOrder,
        FR,
        3.0,
        r"(?:souhaitons|voudrions|aimerions|souhaite|voudrais) commander|nouvelle commande|même commande que|veuillez nous livrer|renouveler (?:la |notre |cette )?(?:num[ée]ro de )?commande",
    ),
    (
        NewOrder,
        FR,
        2.0,
        r"bon de commande|mentionner sur la facture",
    ),
    (
        NewOrder,
        None,
        1.5,
        r"\b(?:art\.?(?:-?nr\.?)?|sku)\s*\d{8}\s*[-–:]?\s*\d{1,3}\s*(?:st|stuks|x|pcs|stück)\b|\b\d{8}\s+-\s+.{3,60}\s+-\s+\d{1,3}\b|art\.?\s*-?nr\.?\s+omschrijving|omschrijving\s+aantal",
    ),
    // order status
    (
        OrderStatus,
        NL,
        3.0,
        r"wat is de status|status van (?:de |onze |mijn )?(?:order|bestelling)|wanneer wordt .{0,60}geleverd|wanneer (?:wordt|komt) (?:de |onze |mijn )?(?:order|ordernummer|bestelling|levering)|nog (?:steeds )?niet (?:ontvangen|binnen|geleverd)|waar (?:deze |hij |het )?blijft|track ?(?:&|en|and) ?trace|waar blijft",
    ),
    (OrderStatus, NL, 1.5, r"levertijd|verzonden\?|leverdatum"),
    (
        OrderStatus,
        EN,
        3.0,
        r"status of (?:my |our |the )?order|when .{0,60}will (?:be delivered|arrive|ship)|(?:not|never) (?:yet )?received (?:order|our order|the order|my order|the goods|the delivery)|where (?:it|my order|our order|the order) is|tracking (?:number|code|link)",
    ),
    (
        OrderStatus,
        DE,
        3.0,
        r"wann wird .{0,60}geliefert|noch nicht angekommen|immer noch nicht da|noch nicht da\b|noch nicht erhalten|wo bleibt|lieferstatus|sendungsnummer|sendungsverfolgung|status (?:der|unserer) bestellung",
    ),
    (
        OrderStatus,
        FR,
        3.0,
        r"toujours pas reçu|pas encore reçu|quand .{0,60}(?:livrée?|livrés|arriver)|suivi de (?:colis|commande)|num[ée]ro de suivi|statut de (?:la |ma |notre )?commande|où en est",
    ),
    (
        OrderStatus,
        None,
        1.0,
        r"nachsehen|nagaan|check where|vérifier",
    ),
    // order change
    (
        OrderChange,
        NL,
        3.0,
        r"wijzigen naar|aanpassen|aanpassing|toevoegen aan (?:order|bestelling|ordernummer)|(?:levering|bestelling) .{0,40}verschuiven|eruit halen|wijziging (?:order|bestelling)|(?:order|bestelling) wijzigen",
    ),
    (
        OrderChange,
        EN,
        3.0,
        r"change the quantity|amend|amendment|move the delivery|add .{0,60}to (?:order|our order|the order)|modify|remove .{0,40}from (?:the |our )?order|postpone|change (?:our|the|my) order",
    ),
    (
        OrderChange,
        DE,
        3.0,
        r"ändern|änderung|verschieben|hinzufügen|\bhinzu\b|bestelländerung|entfernen|streichen",
    ),
    (
        OrderChange,
        FR,
        3.0,
        r"modifier|modification|ajouter .{0,60}(?:à|a) (?:la|notre) commande|décaler|reporter la livraison|retirer .{0,40}de la commande",
    ),
    // cancellation
    (
        OrderCancel,
        NL,
        3.5,
        r"annuleren|annulering|annuleer|dubbel geplaatst|intrekken",
    ),
    (
        OrderCancel,
        EN,
        3.5,
        r"\bcancel|twice by mistake|placed .{0,30}by mistake",
    ),
    (
        OrderCancel,
        DE,
        3.5,
        r"stornieren|stornierung|storno|doppelt (?:aufgegeben|bestellt)",
    ),
    (
        OrderCancel,
        FR,
        3.5,
        r"annuler|annulation|passée? deux fois|en double",
    ),
    // complaints
    (
        Complaint,
        NL,
        2.0,
        r"kapot|beschadigd|gebroken|ontbreken|ontbreekt|wij missen|missen \d|verkeerde? (?:artikel|product|levering)|in plaats van|\bklacht|niet blij|lekt|creditnota|nalevering",
    ),
    (
        Complaint,
        EN,
        2.0,
        r"damaged|broken|missing|wrong (?:item|product|article|goods|delivery)|instead of|complaint|not acceptable|leak(?:ed|ing)|replacement or a credit",
    ),
    (
        Complaint,
        DE,
        2.0,
        r"beschädigt|kaputt|fehlen|fehlt|falsch(?:lieferung|e ware|en artikel)|\bstatt\b|reklamation|beschwerde|ausgelaufen|gutschrift|ersatzlieferung",
    ),
    (
        Complaint,
        FR,
        2.0,
        r"endommag|abîmé|cassé|manquant|manquent|au lieu de|réclamation|ont coulé|erreur de livraison|\bavoir\b|remplacement",
    ),
    // returns
    (
        ReturnRequest,
        NL,
        3.5,
        r"retourneren|terugsturen|retour ?label|retouraanvraag|retour sturen|\bretour\b|terug (?:te )?sturen",
    ),
    (
        ReturnRequest,
        EN,
        3.5,
        r"\breturn (?:request|label|form)|send (?:it |them )?back|(?:would like|want) to return|\breturn \d",
    ),
    (
        ReturnRequest,
        DE,
        3.5,
        r"rücksendung|retoure|zurücksenden|zurückschicken|retourenetikett|rücksendeetikett",
    ),
    (
        ReturnRequest,
        FR,
        3.5,
        r"\bretour(?:ner)?\b|renvoyer|étiquette de retour",
    ),
    // invoices
    (
        InvoiceQuestion,
        NL,
        2.5,
        r"betalingsherinnering|aanmaning|al betaald|factuur (?:nooit |niet )?ontvangen|(?:op|over|van) (?:de |deze )?factuur \d|korting is niet verwerkt|vraag over (?:de |uw )?factuur|\bfactuur \d{6,}",
    ),
    (
        InvoiceQuestion,
        EN,
        2.5,
        r"payment reminder|already paid|invoice \d{6,}|received (?:the )?invoice|invoice query|question about (?:the |your )?invoice|credit note for invoice",
    ),
    (
        InvoiceQuestion,
        DE,
        2.5,
        r"mahnung|zahlungserinnerung|bereits bezahlt|rechnung \d{6,}|frage zur rechnung|rechnung .{0,30}nicht erhalten",
    ),
    (
        InvoiceQuestion,
        FR,
        2.5,
        r"rappel de paiement|relance|déjà (?:payée?|réglée?)|facture \d{6,}|question sur (?:la|votre) facture",
    ),
    (
        InvoiceQuestion,
        None,
        1.0,
        r"factuur|invoice|rechnung|facture",
    ),
    // prices
    (
        PriceQuote,
        NL,
        3.0,
        r"offerte|prijsaanvraag|staffelprijs|wat (?:is|zijn) de prijs|wat kost|hoeveel kost|prijs van .{0,60}(?:verhoogd|bij afname)|vraag over (?:de )?prijs",
    ),
    (
        PriceQuote,
        EN,
        3.0,
        r"\bquote\b|quotation|what is (?:the|your) price|price (?:for|of)|how much (?:is|does|do)|volume (?:price|discount)|prices? (?:has|have) (?:gone up|increased)|been increased",
    ),
    (
        PriceQuote,
        DE,
        3.0,
        r"staffelpreis|was kostet|preis (?:für|von)|preisanfrage|kostenvoranschlag|preis .{0,40}erhöht|angebot (?:für|über)",
    ),
    (
        PriceQuote,
        FR,
        3.0,
        r"devis|faire une offre|quel est (?:le|votre) prix|prix (?:de|pour|du)|combien co[uû]te|demande de prix|prix .{0,40}augmenté",
    ),
    // product questions
    (
        ProductQuestion,
        NL,
        3.0,
        r"geschikt voor|veiligheidsinformatieblad|ingrediënten|weer leverbaar|nieuwe kleuren|houdbaarheid|productvraag|bevat (?:het|dit)|parabenen|dierproefvrij",
    ),
    (
        ProductQuestion,
        EN,
        3.0,
        r"suitable for|safety data sheet|ingredients|available again|back in stock|new colou?rs|product question|shelf life|cruelty",
    ),
    (
        ProductQuestion,
        DE,
        3.0,
        r"geeignet|sicherheitsdatenblatt|inhaltsstoffe|wieder lieferbar|neue farben|produktanfrage|haltbarkeit",
    ),
    (
        ProductQuestion,
        FR,
        3.0,
        r"convient|adapté|fiche de (?:données de )?sécurité|ingrédients|à nouveau disponible|nouvelles couleurs|question produit|question sur le produit",
    ),
    // campaign responses
    (
        CampaignResponse,
        NL,
        3.0,
        r"mailing|voorjaarsactie|displaypakket|\bactie\b|aanbieding|nieuwsbrief",
    ),
    (
        CampaignResponse,
        EN,
        3.0,
        r"promotion|your offer|mailing|campaign|display (?:package|pack|unit)|newsletter",
    ),
    (
        CampaignResponse,
        DE,
        3.0,
        r"frühjahrsaktion|\baktion\b|mailing|ihr angebot|rabatt|ein display|display bekommen|newsletter",
    ),
    (
        CampaignResponse,
        FR,
        3.0,
        r"promotion|votre offre|mailing|présentoir|remise de \d|newsletter",
    ),
    (
        CampaignResponse,
        None,
        1.0,
        r"\d{1,2} ?% (?:korting|discount|rabatt|de remise)",
    ),
];

const TIE_ORDER: &[Intent] = &[
    OrderCancel,
    ReturnRequest,
    Complaint,
    OrderChange,
    InvoiceQuestion,
    CampaignResponse,
    PriceQuote,
    ProductQuestion,
    OrderStatus,
    NewOrder,
];

const LINE_WORDS: &[(&str, &str)] = &[
    (
        "skincare",
        r"\bskin ?care\b|huidverzorging|hautpflege|soins? (?:de la peau|visage)",
    ),
    (
        "haircare",
        r"\bhair ?care\b|haarverzorging|haarpflege|soins? (?:des )?cheveux",
    ),
    ("makeup", r"\bmake-?up\b|maquillage"),
    (
        "nails",
        r"\bnails?[- ](?:lijn|serie|line|linie|range|gamme|collectie|collection)|nagellak|nagelpflege|vernis à ongles",
    ),
    (
        "fragrance",
        r"\bfragrances?\b|geuren-?lijn|parfumlijn|düfte",
    ),
];

/// Returns the built-in rule table.
pub fn default_rules() -> IntentRules {
    IntentRules {
        rules: ROWS
            .iter()
            .map(|(intent, language, weight, pattern)| IntentRule {
                intent: *intent,
                language: *language,
                pattern: (*pattern).to_owned(),
                weight: *weight,
            })
            .collect(),
        product_lines: LINE_WORDS
            .iter()
            .map(|(line, pattern)| ProductLineRule {
                line: (*line).to_owned(),
                pattern: (*pattern).to_owned(),
            })
            .collect(),
        subject_factor: 1.5,
        quoted_factor: 0.4,
        other_language_factor: 0.8,
        min_score: 1.0,
        tie_order: TIE_ORDER.to_vec(),
    }
}
